"""JSON-schema statements of the request rules pydantic checks in code (protocol reference §5.1, §10).

A ``model_validator`` or a handler may refuse a body whose fields each look fine: "exactly one of
``model_id`` and ``session_id``", a ``tinker://`` path of the right kind. The models' generated
JSON schema cannot see that code, so these helpers write the same rule as JSON Schema, for the
model's ``json_schema_extra`` or a field's, and the OpenAPI document admits only what the server
accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "CHECKPOINT_KINDS",
    "CHECKPOINT_TTL",
    "MAX_TTL_SECONDS",
    "MIN_TTL_SECONDS",
    "SAVE_TTL",
    "SchemaRule",
    "all_or_none_non_null",
    "at_least_one_non_null",
    "both_or_neither_non_null",
    "exactly_one_non_null",
    "schema_rules",
    "tinker_path_pattern",
    "when_given",
]

CHECKPOINT_KINDS = ("weights", "sampler_weights", "external_weights")
JsonSchema = dict[str, Any]
# A rule reads the model's generated schema (its ``properties``) and returns the JSON-schema fragment it adds.
SchemaRule = Callable[[JsonSchema], JsonSchema]
_ANNOTATIONS = ("title", "description", "default", "examples")


def when_given(**keywords: Any) -> Callable[[JsonSchema], None]:
    """A field's ``json_schema_extra``: constraints on its value, placed on the non-null members of an
    optional field's ``anyOf`` (beside the ``anyOf`` they would be easy for a generator to overlook)."""

    def constrain(schema: JsonSchema) -> None:
        members = schema.get("anyOf", [schema])
        for member in members:
            if member != {"type": "null"}:
                member.update(keywords)

    return constrain


# ttl_seconds of the REST checkpoint calls: 1 hour to 10 years (`tinker checkpoint set-ttl`, copy_weights).
MIN_TTL_SECONDS = 3600
MAX_TTL_SECONDS = 10 * 365 * 24 * 3600
CHECKPOINT_TTL = when_given(minimum=MIN_TTL_SECONDS, maximum=MAX_TTL_SECONDS)
# ttl_seconds of a save: any positive number of seconds.
SAVE_TTL = when_given(minimum=1)


def _given(schema: JsonSchema, name: str) -> JsonSchema:
    """The object has ``name`` with a value of the field's non-null type.

    The branch restates the field's own schema minus ``null`` (rather than ``not: null``), so a
    generator that draws the property from this branch alone still draws a valid value.
    """
    field = {k: v for k, v in schema["properties"][name].items() if k not in _ANNOTATIONS}
    members = [m for m in field.pop("anyOf", []) if m != {"type": "null"}]
    if len(members) == 1:
        field.update(members[0])
    elif members:
        field["anyOf"] = members
    return {"type": "object", "required": [name], "properties": {name: field}}


def _absent(name: str) -> JsonSchema:
    """The object lacks ``name`` or has it null."""
    return {"type": "object", "properties": {name: {"type": "null"}}}


def exactly_one_non_null(*names: str) -> SchemaRule:
    return lambda schema: {"oneOf": [_given(schema, name) for name in names]}


def at_least_one_non_null(*names: str) -> SchemaRule:
    return lambda schema: {"anyOf": [_given(schema, name) for name in names]}


def all_or_none_non_null(first: str, second: str) -> SchemaRule:
    """``first`` given implies ``second`` given (as ``anyOf``: first absent, or second given)."""
    return lambda schema: {"anyOf": [_absent(first), _given(schema, second)]}


def both_or_neither_non_null(first: str, second: str) -> SchemaRule:
    return lambda schema: {
        "anyOf": [
            {"allOf": [_absent(first), _absent(second)]},
            {"allOf": [_given(schema, first), _given(schema, second)]},
        ]
    }


def schema_rules(*rules: SchemaRule) -> Callable[[JsonSchema], None]:
    """A model's ``json_schema_extra``: its generated schema plus every rule (one, or an ``allOf``)."""

    def extend(schema: JsonSchema) -> None:
        fragments = [rule(schema) for rule in rules]
        if len(fragments) == 1:
            schema.update(fragments[0])
        else:
            schema["allOf"] = fragments

    return extend


def tinker_path_pattern(*kinds: str) -> str:
    """``tinker://<run>/<kind>/<name>`` as the SDK parses it (§10), for the given checkpoint kinds."""
    return rf"^tinker://[^/]*/({'|'.join(kinds or CHECKPOINT_KINDS)})/[^/]*$"
