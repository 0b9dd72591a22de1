"""One observed difference between the SDK's and the port's journal of one scenario, and shared helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tinker_harness.reports.findings import Evidence, Severity

from .journal import NormEntry

__all__ = ["Observation", "close", "evidence", "status_class", "values_text"]

_BACKOFF_ABS_S = 0.25
_BACKOFF_REL = 0.5


@dataclass
class Observation:
    """One difference in one scenario; observations with one ``key`` are one finding across scenarios."""

    kind: str
    severity: Severity
    subject: str  # scenario-free: "create_session#project_id", "x-sdk-version"
    title: str  # may contain "{ops}": the operations where it shows, filled in across scenarios
    fix: str
    python: Evidence | None = None
    port: Evidence | None = None
    ops: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.subject


def evidence(entry: NormEntry | None, text: str = "") -> Evidence | None:
    return Evidence(file=entry.file, line=entry.line, text=text) if entry is not None else None


def close(x: float, y: float) -> bool:
    return abs(x - y) <= max(_BACKOFF_ABS_S, _BACKOFF_REL * max(x, y))


def status_class(outcome: str) -> str:
    """A scenario-free label of an answer: ``503`` and ``500`` are both ``5xx``; spaces become dashes."""
    return re.sub(r"\b5\d\d\b", "5xx", outcome).replace(" ", "-")


def values_text(values: set[str]) -> str:
    shown = sorted(values)
    text = ", ".join(v if len(v) <= 60 else v[:57] + "..." for v in shown[:3])
    return text + (f" (+{len(shown) - 3})" if len(shown) > 3 else "")
