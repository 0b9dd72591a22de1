"""The parity report as data: summary per domain, gaps, feature matrix, ratchet and run facts.

:func:`build_report` turns findings, item statuses (static and behavioural) and root-cause groups
into a :class:`ParityReport`; the renderers in :mod:`reports.render` only format it. Completeness
of a domain is the share of its compared SDK items the port has at all (present); correctness the
share it has with no gap of severity medium or worse. Findings are ordered worst first, wire before
surface; groups by :func:`reports.grouping.top_fixes` order.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .findings import DOMAINS, SEVERITY_RULES, Domain, Finding, ItemStatus, Severity
from .grouping import FeatureGroup, top_fixes
from .ratchet import Ratchet

__all__ = ["DomainSummary", "ParityReport", "RunFacts", "build_report"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DomainSummary(_Frozen):
    domain: Domain
    title: str
    items: int
    ok: int  # present with no gap of severity medium or worse
    present: int = 0  # present in the port at all
    counts: dict[str, int]  # severity -> number of gaps
    completeness: float | None  # percent present; None when nothing was compared
    correctness: float | None = None  # percent present without a medium-or-worse gap

    @property
    def gaps(self) -> int:
        return sum(self.counts.values())


class RunFacts(_Frozen):
    sdk_version: str
    sdk_root: str  # where the SDK files of the evidence live
    port_name: str
    port_root: str
    port_files: int
    parse_problems: list[str]
    overrides: str | None
    journals: str | None
    generated_at: str
    seconds: float


class ParityReport(_Frozen):
    facts: RunFacts
    summary: list[DomainSummary]
    findings: list[Finding]
    items: list[ItemStatus]
    ratchet: Ratchet
    severity_rules: list[tuple[str, str, str]]
    notes: list[str] = []
    groups: list[FeatureGroup] = []
    top: list[str] = []  # keys of the groups to fix first

    def group(self, key: str) -> FeatureGroup | None:
        return next((g for g in self.groups if g.key == key), None)

    @property
    def total_gaps(self) -> int:
        return len(self.findings)

    def by_domain(self, domain: Domain) -> list[Finding]:
        return [f for f in self.findings if f.domain is domain]


def _summary(domain: Domain, findings: list[Finding], items: list[ItemStatus]) -> DomainSummary:
    mine = [i for i in items if i.domain is domain]
    ok = sum(1 for i in mine if i.status in ("ok", "minor"))
    present = sum(1 for i in mine if i.status != "missing")
    counts = {s.value: sum(1 for f in findings if f.domain is domain and f.severity is s) for s in Severity}
    return DomainSummary(
        domain=domain,
        title=DOMAINS[domain],
        items=len(mine),
        ok=ok,
        present=present,
        counts=counts,
        completeness=round(100.0 * present / len(mine), 1) if mine else None,
        correctness=round(100.0 * ok / len(mine), 1) if mine else None,
    )


_DOMAIN_ORDER = [Domain.WIRE, Domain.ENDPOINTS, Domain.CLIENTS, Domain.TYPES, Domain.CONSTANTS, Domain.ENV, Domain.CLI]


def build_report(
    facts: RunFacts,
    findings: list[Finding],
    items: list[ItemStatus],
    ratchet: Ratchet,
    notes: list[str] | None = None,
    groups: list[FeatureGroup] | None = None,
) -> ParityReport:
    ordered = sorted(findings, key=lambda f: (f.severity.rank, _DOMAIN_ORDER.index(f.domain), f.subject, f.id))
    return ParityReport(
        facts=facts,
        summary=[_summary(d, ordered, items) for d in Domain],
        findings=ordered,
        items=sorted(items, key=lambda i: (list(Domain).index(i.domain), i.subject)),
        ratchet=ratchet,
        severity_rules=[(s.value, name, rule) for s, name, rule in SEVERITY_RULES],
        notes=notes or [],
        groups=groups or [],
        top=top_fixes(groups or []),
    )
