"""Tag-based union dispatch shared by the wire models (protocol reference §1, §19).

The SDK sends a ``type`` tag on every request object, but its unions are plain (left-to-right)
pydantic unions, so an object whose tag is absent still validates as the member whose tag
defaults to it. :func:`tagged` builds a pydantic ``Discriminator`` with that behaviour: a present
tag selects exactly one member (an unknown tag is an error), an absent tag falls back to a
default member or to a caller-supplied guess from the object's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from pydantic import Discriminator

__all__ = ["tagged"]


def tagged(
    key: str = "type",
    *,
    default: str | None = None,
    infer: Callable[[Mapping[str, Any]], str | None] | None = None,
    known: Collection[str] | None = None,
    other: str | None = None,
) -> Discriminator:
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

    return Discriminator(_tag)
