"""The certify report: an SDK-version × feature matrix and, per failure, where it went wrong.

Built from a :class:`~scenarios.certify.run.CertifyRun`. A cell joins the flow's feature result and
every catalogue scenario of that row (:func:`~scenarios.certify.features.feature_of`); each failure
carries the first failing request, the server's answer, what the protocol expects (the feature's or
the scenario's expectation, its sections of docs/protocol.md) and the SDK frames it failed in.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.scenarios.certify.features import FEATURES, Feature, feature_of, loss_feature
from tinker_harness.scenarios.certify.flow import first_failing
from tinker_harness.scenarios.certify.run import CertifyRun
from tinker_harness.scenarios.certify.server_checks import CHECKS

__all__ = ["CertifyReport", "Cell", "CheckRow", "FailureRow", "build_certify_report"]

ANSWER_CHARS = 600


@dataclass
class FailureRow:
    version: str
    feature: str
    source: str  # "flow" or a scenario id
    title: str
    expected: str
    protocol: list[str]
    observed: list[str]
    request: str | None = None  # the first failing request: "POST /api/v1/... -> 500"
    answer: str | None = None  # the server's answer to it (truncated)
    violations: list[str] = field(default_factory=list)
    sdk_where: list[str] = field(default_factory=list)  # tinker/x.py:line in function


@dataclass
class Cell:
    status: str  # pass | fail | n/a | blocked | skipped | sdk-known | not-run
    passed: int = 0
    total: int = 0  # judged results
    not_judged: list[str] = field(default_factory=list)  # n/a, skipped, sdk-known results


@dataclass
class CheckRow:
    id: str
    title: str
    status: str
    summary: str
    expected: str
    protocol: list[str]
    evidence: list[str]


@dataclass
class CertifyReport:
    base_url: str
    base_model: str
    versions: list[str]
    features: list[Feature]
    matrix: dict[str, dict[str, Cell]]  # feature id -> version -> cell
    failures: list[FailureRow]
    checks: list[CheckRow]
    problems: dict[str, str]  # version -> why it could not run
    excluded: dict[str, str]
    sdk_known: dict[str, dict[str, str]]  # version -> scenario id -> the SDK behaviour it fails on
    scenarios: int
    seconds: float
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def ok(self) -> bool:
        cells = [c for row in self.matrix.values() for c in row.values()]
        return (
            not self.problems
            and not any(c.status in ("fail", "blocked", "not-run") for c in cells)
            and not any(c.status == "fail" for c in self.checks)
        )

    def score(self, version: str) -> tuple[int, int]:
        """(passed, judged) over the cells of one version (n/a and skipped rows are not judged)."""
        cells = [row[version] for row in self.matrix.values() if version in row]
        judged = [c for c in cells if c.status not in ("n/a", "skipped", "sdk-known")]
        return sum(c.status == "pass" for c in judged), len(judged)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["scores"] = {v: dict(zip(("passed", "judged"), self.score(v), strict=True)) for v in self.versions}
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, default=str) + "\n"


def _request(entry: JournalEntry | None) -> tuple[str | None, str | None, list[str]]:
    if entry is None:
        return None, None, []
    status = str(entry.status) if entry.status else "no answer"
    line = f"{entry.method} {entry.path} -> {status} ({entry.duration_ms:.0f} ms)"
    body = entry.response_body
    answer = body if isinstance(body, str) else json.dumps(body, default=str) if body is not None else ""
    return line, answer[:ANSWER_CHARS], list(entry.violations)


def _merge(cell: Cell, status: str) -> None:
    cell.total += 1
    cell.passed += status == "pass"
    if status in ("sdk-known", "n/a", "skipped"):
        cell.total -= 1  # not judged: the server is not at fault, or the SDK lacks the feature
        cell.not_judged.append(status)
        if cell.status == "not-run":
            cell.status = status
        return
    order = ("not-run", "sdk-known", "skipped", "n/a", "pass", "blocked", "fail")
    if order.index(status) > order.index(cell.status):
        cell.status = status


def build_certify_report(run: CertifyRun) -> CertifyReport:
    known = {f.id: f for f in FEATURES}
    features: dict[str, Feature] = {}
    matrix: dict[str, dict[str, Cell]] = {}
    failures: list[FailureRow] = []
    versions = [g.version for g in run.generations]

    def cell(feature_id: str, version: str) -> Cell:
        if feature_id not in features:
            features[feature_id] = known.get(feature_id) or (
                loss_feature(feature_id.split(":", 1)[1]) if feature_id.startswith("loss:") else
                Feature(feature_id, feature_id, "", ())
            )  # fmt: skip
            matrix[feature_id] = {v: Cell("not-run") for v in versions}
        return matrix[feature_id][version]

    for feature in FEATURES:
        for version in versions:
            cell(feature.id, version)
    for generation in run.generations:
        version = generation.version
        if generation.flow is not None:
            for result in generation.flow.features:
                status = "fail" if result.status == "fail" else result.status
                _merge(cell(result.feature, version), status)
                if result.status != "fail":
                    continue
                spec = features[result.feature]
                request, answer, violations = _request(first_failing(result.entries))
                error = result.error or {}
                failures.append(FailureRow(
                    version, result.feature, "flow", f"{error.get('type', 'failure')} in the SDK flow",
                    spec.expected, list(spec.protocol), [str(error.get("message", result.detail))],
                    request, answer, violations, list(error.get("sdk_frames", [])),
                ))  # fmt: skip
        if generation.scenarios is not None:
            for scenario_result in generation.scenarios.results:
                scenario = run.catalog.get(scenario_result.scenario_id)
                feature_id = feature_of(scenario)
                status = {"error": "fail", "unsupported": "n/a", "skip": "skipped"}.get(
                    scenario_result.status, scenario_result.status
                )
                if status == "fail" and scenario_result.scenario_id in generation.sdk_known:
                    status = "sdk-known"  # this SDK version fails it against our own mock too
                _merge(cell(feature_id, version), status)
                if status != "fail":
                    continue
                entries = scenario_result.entries
                request, answer, violations = _request(first_failing(entries))
                first = scenario_result.failures[0] if scenario_result.failures else None
                failures.append(FailureRow(
                    version, feature_id, scenario.id, first.title if first else scenario_result.status,
                    first.expected if first else scenario.purpose, list(scenario.protocol),
                    (first.observed if first else []) + (first.problems if first else []),
                    request, answer, violations,
                ))  # fmt: skip
    checks = [
        CheckRow(c.id, CHECKS[c.id].title, c.status, c.summary, CHECKS[c.id].expected, list(CHECKS[c.id].protocol),
                 c.evidence)
        for c in run.checks
    ]  # fmt: skip
    for generation in run.generations:
        blocked = generation.problem is not None or (generation.flow is not None and generation.flow.problem)
        for row in matrix.values():
            if row[generation.version].status == "not-run":
                row[generation.version].status = "blocked" if blocked else "n/a"
    problems = {g.version: g.problem for g in run.generations if g.problem}
    problems.update({
        g.version: g.flow.problem for g in run.generations if g.flow is not None and g.flow.problem and not g.problem
    })  # fmt: skip
    return CertifyReport(
        run.options.base_url, run.base_model, versions, list(features.values()), matrix, failures, checks,
        problems, dict(run.excluded), {g.version: dict(g.sdk_known) for g in run.generations if g.sdk_known},
        len(run.selected), run.seconds,
    )  # fmt: skip
