"""How a JSON request body is validated against its contract model, by the mock and by the journal checks.

Strict JSON mode (protocol reference §5.1: request models are strict): a value must have the JSON
type the OpenAPI document gives it, so ``"5"`` is not an integer and ``false`` is not a number. As
in JSON Schema, a number with a zero fraction (``3.0``) is an integer.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["JsonTooDeepError", "load_json", "validate_request_json"]

M = TypeVar("M", bound=BaseModel)


class JsonTooDeepError(ValueError):
    """A JSON document nested deeper than any request needs (and than the parsers' recursion limits)."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


# pydantic-core's JSON parser stops at this depth; Tinker's deepest request is under 10 levels.
MAX_JSON_DEPTH = 200


def load_json(raw: bytes | str) -> Any:
    """``json.loads`` that refuses documents nested deeper than :data:`MAX_JSON_DEPTH` with
    :class:`JsonTooDeepError` (a ``ValueError``), never a ``RecursionError`` here or in the code that
    walks the value later (redaction, the journal); malformed text stays a ``ValueError``.
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise JsonTooDeepError from None
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise JsonTooDeepError
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers more than ``limit`` levels (level by level: no recursion)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
    return False


def _too_deep(exc: ValidationError) -> bool:
    return any(e["type"] == "json_invalid" and "recursion limit" in str(e["msg"]) for e in exc.errors())


def validate_request_json(model: type[M], raw: bytes) -> M:
    """``raw`` validated as ``model``; raises pydantic's ValidationError (also for a body that is not JSON),
    or :class:`JsonTooDeepError` for a body nested deeper than :data:`MAX_JSON_DEPTH`."""
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        if _too_deep(exc):
            raise JsonTooDeepError from None
        problem = exc
    try:
        body = json.loads(raw)
    except ValueError:
        raise problem from None
    integral, changed = _integral_floats_as_ints(body)
    if changed:
        try:
            return model.model_validate_json(json.dumps(integral), strict=True)
        except ValidationError as exc:
            problem = exc  # the body's problems once its whole numbers count as integers
    raise problem


def _integral_floats_as_ints(value: Any) -> tuple[Any, bool]:
    """``value`` with every float of zero fraction made an int, and whether any was."""
    if isinstance(value, float) and value.is_integer():
        return int(value), True
    if isinstance(value, dict):
        pairs = [(key, _integral_floats_as_ints(item)) for key, item in value.items()]
        return {key: item for key, (item, _) in pairs}, any(changed for _, (_, changed) in pairs)
    if isinstance(value, list):
        items = [_integral_floats_as_ints(item) for item in value]
        return [item for item, _ in items], any(changed for _, changed in items)
    return value, False
