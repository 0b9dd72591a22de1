"""How a JSON request body is validated against its contract model, by the mock and by the journal checks.

Strict JSON mode (protocol reference §5.1: request models are strict): a value must have the JSON
type the OpenAPI document gives it, so ``"5"`` is not an integer and ``false`` is not a number. As
in JSON Schema, a number with a zero fraction (``3.0``) is an integer.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["validate_request_json"]

M = TypeVar("M", bound=BaseModel)


def validate_request_json(model: type[M], raw: bytes) -> M:
    """``raw`` validated as ``model``; raises pydantic's ValidationError (also for a body that is not JSON)."""
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
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
