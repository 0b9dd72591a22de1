"""From runs to a :class:`ConformanceReport`: outcomes after the known-failing ratchet."""

from __future__ import annotations

from collections.abc import Sequence

from tinker_harness.reports.conformance.model import (
    AdapterReport,
    ConformanceReport,
    FailureRow,
    Outcome,
    ResultRow,
    ScenarioInfo,
    now,
)
from tinker_harness.scenarios.catalog import Catalog
from tinker_harness.scenarios.conform import AdapterRun
from tinker_harness.scenarios.known_failing import KnownFailing
from tinker_harness.scenarios.runner import ScenarioResult
from tinker_harness.scenarios.schema import Scenario

__all__ = ["build_report"]


def _outcome(result: ScenarioResult, listed: str | None) -> Outcome:
    if listed is not None and result.status in ("fail", "error"):
        return "known-fail"
    if listed is not None and result.status == "pass":
        return "fixed"
    return result.status


def _row(result: ScenarioResult, listed: str | None) -> ResultRow:
    failures = [FailureRow(title=f.title, expected=f.expected, observed=f.observed, problems=f.problems)
                for f in result.failures]  # fmt: skip
    return ResultRow(
        id=result.scenario_id, status=result.status, outcome=_outcome(result, listed), seconds=round(result.seconds, 3),
        reason=result.reason, known_failing=listed, failures=failures, journal=result.journal, stderr=result.stderr,
    )  # fmt: skip


def _adapter(run: AdapterRun, known: KnownFailing) -> AdapterReport:
    hello = run.hello
    rows = [_row(r, known.reason(r.scenario_id, hello.name, hello.version)) for r in run.results]
    ratchet = known.ratchet({r.scenario_id: r.status for r in run.results}, hello.name, hello.version)
    return AdapterReport(
        name=hello.name, version=hello.version, sdk_protocol=hello.sdk_protocol, capabilities=list(hello.capabilities),
        command=run.command, seconds=round(run.seconds, 2), results=rows, ratchet=ratchet,
    )  # fmt: skip


def build_report(
    scenarios: Sequence[Scenario], catalog: Catalog, runs: Sequence[AdapterRun], known: KnownFailing
) -> ConformanceReport:
    infos = [ScenarioInfo(id=s.id, purpose=s.purpose, protocol=list(s.protocol), requires=list(s.requires),
                          source=catalog.sources.get(s.id, "")) for s in scenarios]  # fmt: skip
    return ConformanceReport(generated_at=now(), scenarios=infos, adapters=[_adapter(r, known) for r in runs])
