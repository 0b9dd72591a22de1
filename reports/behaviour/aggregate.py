"""Observations of many scenarios folded into findings: one per distinct difference, with its scenarios.

Observations with the same kind and subject (which never name a scenario) are one finding; it
lists every scenario where the difference shows, keeps the evidence of the first one (scenarios in
name order) and the highest severity seen. A title's ``{ops}`` becomes the operations where the
difference shows (a header missing on many endpoints is one finding). Item statuses are per SDK
operation across all scenarios: ``ok`` when no finding of medium or worse touches it, ``missing``
when the port never makes it, ``partial`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinker_harness.reports.findings import Domain, Evidence, Finding, ItemStatus, Severity

from .calls import POLL, operation
from .diff import Observation
from .journal import NormEntry

__all__ = ["Fold"]

_MAX_OPS = 8


def _ops_text(ops: set[str]) -> str:
    shown = sorted(ops)
    text = ", ".join(shown[:_MAX_OPS])
    return text + (f" and {len(shown) - _MAX_OPS} more" if len(shown) > _MAX_OPS else "") if shown else "its requests"


def _item(entry: NormEntry) -> str:
    """The feature-matrix row of an exchange: its operation; every poll is one ``retrieve_future`` row."""
    return POLL if entry.endpoint == POLL else operation(entry)


@dataclass
class _Group:
    first: Observation
    severity: Severity
    scenarios: list[str] = field(default_factory=list)
    ops: set[str] = field(default_factory=set)


@dataclass
class _Item:
    python: Evidence
    port: Evidence | None = None


class Fold:
    """Accumulates the observations and calls of each scenario; :meth:`result` gives findings and items."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], _Group] = {}
        self.items: dict[str, _Item] = {}
        self.headers: dict[str, set[str]] = {"python": set(), "port": set()}  # every header each side sent

    def add(
        self, scenario: str, observations: list[Observation], python: list[NormEntry], port: list[NormEntry]
    ) -> None:
        for obs in observations:
            group = self.groups.get(obs.key)
            if group is None:
                group = self.groups[obs.key] = _Group(obs, obs.severity)
            if obs.severity.rank < group.severity.rank:
                group.severity = obs.severity
            if scenario not in group.scenarios:
                group.scenarios.append(scenario)
            group.ops |= obs.ops
        for side, entries in (("python", python), ("port", port)):
            for entry in entries:
                self.headers[side] |= set(entry.headers)
        port_ops = {_item(e) for e in port}
        renamed = {o for obs in observations if obs.kind == "path" for o in obs.ops}
        for entry in python:
            op = _item(entry)
            item = self.items.setdefault(op, _Item(Evidence(file=entry.file, line=entry.line)))
            if item.port is None and (op in port_ops or op in renamed):
                match = next((e for e in port if _item(e) == op), None)
                item.port = Evidence(file=match.file, line=match.line) if match else item.python

    def _title(self, kind: str, subject: str, group: _Group) -> str:
        ops = _ops_text(group.ops)
        if kind == "header-missing" and subject not in self.headers["port"]:
            return f"the port never sends header {subject}; the SDK sends it on {ops}"
        if kind == "header-extra" and subject not in self.headers["python"]:
            return f"the port sends header {subject}, which the SDK never sends, on {ops}"
        return group.first.title.replace("{ops}", ops)

    def result(self) -> tuple[list[Finding], list[ItemStatus]]:
        findings: list[Finding] = []
        worst: dict[str, Severity] = {}
        for (kind, subject), group in sorted(self.groups.items()):
            obs = group.first
            findings.append(
                Finding.make(
                    Domain.WIRE,
                    kind,
                    group.severity,
                    subject,
                    self._title(kind, subject, group),
                    obs.fix,
                    obs.python,
                    obs.port,
                    sorted(group.scenarios),
                )
            )
            for op in group.ops:
                base = POLL if op.startswith(POLL) else op
                if base not in worst or group.severity.rank < worst[base].rank:
                    worst[base] = group.severity
        items = []
        for op, item in sorted(self.items.items()):
            severity = worst.get(op)
            status = "ok" if severity in (None, Severity.LOW) else "missing" if item.port is None else "partial"
            items.append(ItemStatus(domain=Domain.WIRE, subject=op, status=status, python=item.python, port=item.port))
        return findings, items
