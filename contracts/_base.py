"""Base classes of every wire model (protocol reference §1 "Request encoding", §19).

Requests mirror the SDK's ``StrictBase``: unknown keys are rejected and ``None`` fields are omitted
when dumped, while defaults and ``type`` tags are always written (``exclude_none=True``,
``exclude_unset=False``). Responses mirror the SDK's response ``BaseModel``: extra keys are ignored,
so a response model validates exactly what the SDK would accept.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict

__all__ = ["RequestModel", "ResponseModel", "WireModel"]


class WireModel(BaseModel):
    """A JSON body on the wire; ``to_wire`` gives the dict the SDK would send or read."""

    model_config = ConfigDict(frozen=True)

    def to_wire(self) -> dict[str, Any]:
        """Dump as the SDK does: JSON types, defaults kept, ``None`` fields left out."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        """Validate a decoded JSON body (raises ``pydantic.ValidationError``)."""
        return cls.model_validate(body)


class RequestModel(WireModel):
    """A request body: strict, unknown keys are an error (SDK ``StrictBase``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ResponseModel(WireModel):
    """A response body: unknown keys are ignored, as the SDK's response models do."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
