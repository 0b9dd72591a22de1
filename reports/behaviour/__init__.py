"""Behavioural parity: journals of two adapters running the same scenarios, normalised and diffed.

Layout of a journals directory: ``python/<scenario>.jsonl`` and ``port/<scenario>.jsonl`` (JSONL of
mock-server journal entries, e.g. from ``tinker-harness serve --journal FILE``), paired by name.
"""

from __future__ import annotations

from pathlib import Path

from tinker_harness.reports.findings import Finding, ItemStatus, Severity
from tinker_harness.reports.mapping.overrides import Overrides

from .diff import diff_journals
from .journal import JournalError, load_journal

__all__ = ["JournalError", "compare_journal_dirs", "diff_journals", "load_journal"]


def compare_journal_dirs(
    root: Path, overrides: Overrides | None = None
) -> tuple[list[Finding], list[ItemStatus], list[str]]:
    """Wire findings of every scenario present on both sides of ``root``; notes for unpaired ones."""
    python_dir, port_dir = root / "python", root / "port"
    notes: list[str] = []
    if not python_dir.is_dir() or not port_dir.is_dir():
        return [], [], [f"journals: {root} needs python/ and port/ subdirectories; no wire comparison was made"]
    python = {p.stem: p for p in sorted(python_dir.glob("*.jsonl"))}
    port = {p.stem: p for p in sorted(port_dir.glob("*.jsonl"))}
    findings: list[Finding] = []
    items: list[ItemStatus] = []
    for name in sorted(set(python) - set(port)):
        notes.append(f"journals: scenario {name} has no port journal")
    for name in sorted(set(port) - set(python)):
        notes.append(f"journals: scenario {name} has no python journal")
    for name in sorted(set(python) & set(port)):
        found, compared = diff_journals(name, load_journal(python[name]), load_journal(port[name]))
        findings += found
        items += compared
    accept = overrides.accept if overrides is not None else {}
    findings = [f for f in findings if f.id not in accept and overrides_in_scope(overrides, f)]
    worst: dict[str, Severity] = {}
    for f in findings:
        key = f.subject.split("#", 1)[0]
        if key not in worst or f.severity.rank < worst[key].rank:
            worst[key] = f.severity
    statuses = []
    for item in items:
        severity = worst.get(item.subject)
        status = "ok" if severity in (None, Severity.LOW) else "missing" if item.port is None else "partial"
        statuses.append(item.model_copy(update={"status": status}))
    return findings, statuses, notes


def overrides_in_scope(overrides: Overrides | None, finding: Finding) -> bool:
    return overrides is None or overrides.in_scope("wire", finding.subject)
