"""The conformance report: adapters × scenarios, with failures and the known-failing ratchet.

Built from :class:`scenarios.conform.AdapterRun` results by :func:`build_report`; rendered as
Markdown, HTML, JSON and JUnit XML by the sibling modules. ``outcome`` folds the ratchet into the
status: ``known-fail`` (listed and failing: allowed), ``fixed`` (listed but passing: fails the run).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tinker_harness.reports.ratchet import Ratchet

__all__ = ["AdapterReport", "ConformanceReport", "FailureRow", "Outcome", "ResultRow", "ScenarioInfo"]

Outcome = Literal["pass", "fail", "error", "known-fail", "fixed", "skip", "unsupported"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "error", "known-fail", "fixed", "skip", "unsupported")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioInfo(_Model):
    id: str
    purpose: str
    protocol: list[str]
    requires: list[str]
    source: str


class FailureRow(_Model):
    title: str
    expected: str
    observed: list[str]
    problems: list[str] = []


class ResultRow(_Model):
    id: str
    status: str
    outcome: Outcome
    seconds: float
    reason: str | None = None  # why skipped / unsupported
    known_failing: str | None = None  # the list's reason, when listed
    failures: list[FailureRow] = []
    journal: list[str] = []
    stderr: str = ""


class AdapterReport(_Model):
    name: str
    version: str
    sdk_protocol: str
    capabilities: list[str]
    command: list[str]
    seconds: float
    results: list[ResultRow]
    ratchet: Ratchet

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def ok(self) -> bool:
        return not self.ratchet.new and not self.ratchet.closed


class ConformanceReport(_Model):
    generated_at: datetime
    scenarios: list[ScenarioInfo]
    adapters: list[AdapterReport]

    @property
    def ok(self) -> bool:
        return all(a.ok for a in self.adapters)

    def scenario(self, scenario_id: str) -> ScenarioInfo:
        return next(s for s in self.scenarios if s.id == scenario_id)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
