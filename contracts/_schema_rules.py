"""JSON-schema statements of the request rules pydantic checks in code (protocol reference §5.1, §10).

A ``model_validator`` or a handler may refuse a body whose fields each look fine: "exactly one of
``model_id`` and ``session_id``", a ``tinker://`` path of the right kind. The models' generated
JSON schema cannot see that code, so these helpers write the same rule as JSON Schema, for the
model's ``json_schema_extra`` or a field's, and the OpenAPI document admits only what the server
accepts.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CHECKPOINT_TTL",
    "SAVE_TTL",
    "all_or_none_non_null",
    "at_least_one_non_null",
    "exactly_one_non_null",
    "tinker_path_pattern",
]

CHECKPOINT_KINDS = ("weights", "sampler_weights", "external_weights")
# ttl_seconds of the REST checkpoint calls: 1 hour to 10 years (`tinker checkpoint set-ttl`, copy_weights).
CHECKPOINT_TTL: dict[str, Any] = {"minimum": 3600, "maximum": 10 * 365 * 24 * 3600}
# ttl_seconds of a save: any positive number of seconds.
SAVE_TTL: dict[str, Any] = {"minimum": 1}


def _given(name: str) -> dict[str, Any]:
    """The object has ``name`` with a value other than null."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


def exactly_one_non_null(*names: str) -> dict[str, Any]:
    return {"oneOf": [_given(name) for name in names]}


def at_least_one_non_null(*names: str) -> dict[str, Any]:
    return {"anyOf": [_given(name) for name in names]}


def _absent(name: str) -> dict[str, Any]:
    """The object lacks ``name`` or has it null."""
    return {"properties": {name: {"type": "null"}}}


def all_or_none_non_null(first: str, second: str) -> dict[str, Any]:
    """``first`` given implies ``second`` given (as ``anyOf``: first absent, or second given)."""
    return {"anyOf": [_absent(first), _given(second)]}


def both_or_neither_non_null(first: str, second: str) -> dict[str, Any]:
    return {"anyOf": [{"allOf": [_absent(first), _absent(second)]}, {"allOf": [_given(first), _given(second)]}]}


def tinker_path_pattern(*kinds: str) -> str:
    """``tinker://<run>/<kind>/<name>`` as the SDK parses it (§10), for the given checkpoint kinds."""
    return rf"^tinker://[^/]*/({'|'.join(kinds or CHECKPOINT_KINDS)})/[^/]*$"
