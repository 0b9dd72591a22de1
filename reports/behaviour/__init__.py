"""Behavioural parity: journals of two adapters running the same scenarios, normalised and diffed.

Layout of a journals directory (what ``tinker-harness conform --journals DIR`` writes):
``python/<scenario>.jsonl`` (the official SDK) and ``port/<scenario>.jsonl`` (the port), each a JSONL
of mock-server journal entries (the mock's JSONL sink format, e.g. ``tinker-harness serve --journal
FILE``), paired by file name; a scenario id's ``/`` is written ``__`` in the name. Each pair is diffed
(:mod:`reports.behaviour.diff`) and the differences of all scenarios are folded into one finding per
distinct difference, listing its scenarios (:mod:`reports.behaviour.aggregate`).
"""

from __future__ import annotations

from pathlib import Path

from tinker_harness.reports.findings import Finding, ItemStatus
from tinker_harness.reports.mapping.overrides import Overrides

from .aggregate import Fold
from .diff import Observation, observe
from .journal import JournalError, NormEntry, load_journal

__all__ = [
    "JournalError",
    "Observation",
    "compare_journal_dirs",
    "diff_journals",
    "load_journal",
    "observe",
    "scenario_name",
]


def scenario_name(stem: str) -> str:
    """``training__forward-only`` → ``training/forward-only`` (file names cannot hold ``/``)."""
    return stem.replace("__", "/")


def diff_journals(
    scenario: str, python: list[NormEntry], port: list[NormEntry]
) -> tuple[list[Finding], list[ItemStatus]]:
    """Findings and item statuses of one scenario's pair of journals."""
    fold = Fold()
    fold.add(scenario, observe(scenario, python, port), python, port)
    return fold.result()


def compare_journal_dirs(
    root: Path, overrides: Overrides | None = None
) -> tuple[list[Finding], list[ItemStatus], list[str]]:
    """Wire findings over every scenario present on both sides of ``root``; notes for unpaired ones."""
    python_dir, port_dir = root / "python", root / "port"
    notes: list[str] = []
    if not python_dir.is_dir() or not port_dir.is_dir():
        return [], [], [f"journals: {root} needs python/ and port/ subdirectories; no wire comparison was made"]
    python = {p.stem: p for p in sorted(python_dir.glob("*.jsonl"))}
    port = {p.stem: p for p in sorted(port_dir.glob("*.jsonl"))}
    for name in sorted(set(python) - set(port)):
        notes.append(f"journals: scenario {scenario_name(name)} has no port journal")
    for name in sorted(set(port) - set(python)):
        notes.append(f"journals: scenario {scenario_name(name)} has no python journal")
    fold = Fold()
    for name in sorted(set(python) & set(port)):
        a, b = load_journal(python[name]), load_journal(port[name])
        fold.add(scenario_name(name), observe(scenario_name(name), a, b), a, b)
    findings, items = fold.result()
    accept = overrides.accept if overrides is not None else {}
    findings = [f for f in findings if f.id not in accept and overrides_in_scope(overrides, f)]
    return findings, items, notes


def overrides_in_scope(overrides: Overrides | None, finding: Finding) -> bool:
    return overrides is None or overrides.in_scope("wire", finding.subject)
