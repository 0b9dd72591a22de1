"""Tag-based union dispatch shared by the wire models (protocol reference §1, §19).

The SDK sends a ``type`` tag on every request object, but its unions are plain (left-to-right)
pydantic unions, so an object whose tag is absent still validates as the member whose tag
defaults to it. :func:`tagged` builds a pydantic ``Discriminator`` with that behaviour: a present
tag selects exactly one member (an unknown tag is an error), an absent tag falls back to a
default member or to a caller-supplied guess from the object's keys. Its JSON schema states the
same rule: a member's tag, when present, must be that member's, every member but the default (and
any member of a union that guesses from the keys) must carry its tag, and the open member takes
only tags outside the known ones; a plain ``anyOf`` of the members would admit bodies the
dispatch refuses, such as ``{"version": 1}`` for an optimizer config.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Discriminator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

__all__ = ["TaggedUnion", "tagged"]


@dataclass(frozen=True)
class TaggedUnion(Discriminator):
    """A callable discriminator whose JSON schema requires what the dispatch requires."""

    key: str = "type"
    default: str | None = None
    guesses: bool = False
    known: Collection[str] | None = None
    other: str | None = None

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        if schema["type"] != "tagged-union":
            return handler(schema)
        members = [self._member(str(tag), handler(choice)) for tag, choice in schema["choices"].items()]
        return {"anyOf": members}

    def _member(self, tag: str, member: JsonSchemaValue) -> JsonSchemaValue:
        if tag == self.other:
            rule: dict[str, Any] = {"properties": {self.key: {"not": {"enum": sorted(self.known or ())}}}}
        else:
            rule = {"properties": {self.key: {"const": tag}}}
        if tag != self.default and not self.guesses:
            rule["required"] = [self.key]
        return {"allOf": [member, rule]}


def tagged(
    key: str = "type",
    *,
    default: str | None = None,
    infer: Callable[[Mapping[str, Any]], str | None] | None = None,
    known: Collection[str] | None = None,
    other: str | None = None,
) -> TaggedUnion:
    """Build a callable discriminator reading ``key`` from a dict or a model instance.

    ``default`` is the member chosen when the tag is absent (or ``infer`` may guess it from the
    object's keys); when ``other`` is given, any string tag outside ``known`` selects ``other``
    (an open union such as ``AdamOptimizerConfig | OptimizerConfigBase``).
    """

    def _tag(value: Any) -> str | None:
        if isinstance(value, Mapping):
            raw = value.get(key)
            if raw is None:
                guessed = infer(value) if infer is not None else None
                return guessed if guessed is not None else default
        else:
            raw = getattr(value, key, None)
        if not isinstance(raw, str):
            return None
        if other is not None and known is not None and raw not in known:
            return other
        return raw

    return TaggedUnion(_tag, key=key, default=default, guesses=infer is not None, known=tuple(known or ()), other=other)
