"""The one journal normaliser: the run-specific parts of journal values made comparable across runs.

Two runs of the same flow (two SDKs, or an SDK and the reference client) differ in ids, times and
redacted secrets and in nothing the protocol cares about. :class:`JournalNormaliser` replaces, in
every string of a value (paths, headers, bodies, nested too):

* redaction tags ``<redacted:…>`` (:mod:`mock_server.redaction`) with ``<redacted>``;
* ISO-8601 timestamps with ``<ts>``;
* UUID-shaped ids (sessions, models, requests, samplers, inside paths and ``tinker://`` URIs) with
  ``<id>``, or, with ``number_ids``, ``<id0>``, ``<id1>``… by first appearance, so that which
  request polls which future still shows.

The parity report (:mod:`reports.behaviour`) and the wire comparisons of the tests use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["JournalNormaliser"]

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
REDACTED = re.compile(r"<redacted:[^>]*>")


class JournalNormaliser:
    """Normalise journal strings and values; one instance numbers ids consistently across calls."""

    def __init__(self, *, number_ids: bool = False, extra: Callable[[str], str] | None = None) -> None:
        self._names: dict[str, str] | None = {} if number_ids else None
        self._extra = extra

    def _id(self, match: re.Match[str]) -> str:
        if self._names is None:
            return "<id>"
        return self._names.setdefault(match.group(0), f"<id{len(self._names)}>")

    def text(self, value: str) -> str:
        if self._extra is not None:
            value = self._extra(value)
        value = REDACTED.sub("<redacted>", value)
        value = ISO_TIME.sub("<ts>", value)
        return UUID.sub(self._id, value)

    def value(self, value: Any, view: Callable[[dict[str, Any]], Any | None] | None = None) -> Any:
        """``value`` with every string normalised; ``view`` may replace a mapping by another shape first."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v, view) for v in value]
        if isinstance(value, dict):
            shown = view(value) if view is not None else None
            if shown is not None:
                return self.value(shown, view)
            return {str(k): self.value(v, view) for k, v in value.items()}
        return value
