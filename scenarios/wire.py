"""Wire expectations: checks over the mock server's journal of one scenario.

A check selects exchanges (:class:`~scenarios.schema.Select`) and states their number, their
statuses in order, values of their fields (``body.seq_id``, ``headers.x-idempotency-key``,
``response.queue_state``…, see :mod:`scenarios.matchers`) and the real time between them; or it
states an order of endpoints. Protobuf bodies are read as their decoded message, so
``body.seq_id`` works for ``/forward_backward`` too. A failed check is a :class:`Failure`
holding what was expected and an excerpt of what was observed, for the report.

Every scenario also gets the implicit check :func:`request_violations`: no request the adapter
sent may break the wire contracts (protocol reference §5.1, §19), as judged by the journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from tinker_harness.contracts.traits import endpoints_with
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.scenarios.matchers import MISSING, check_field, lookup
from tinker_harness.scenarios.schema import CountRange, Select, WireCheck

__all__ = ["BACKGROUND", "Failure", "StepMarks", "describe", "evaluate", "request_violations", "select"]

# Traffic a client only sends on its own timer; ``first`` checks skip it (the first dynamic-config
# fetch is part of start-up, §4.1).
BACKGROUND = endpoints_with("periodic")


@dataclass(frozen=True)
class Failure:
    """Why a scenario failed (a wire check, a step, the adapter): a title, the expectation and what
    was observed (journal lines, results)."""

    title: str
    expected: str
    observed: list[str]
    problems: list[str] = field(default_factory=list)


@dataclass
class StepMarks:
    """Journal positions around each named step: entries with ``start < seq <= end`` happened during it."""

    start: dict[str, int] = field(default_factory=dict)
    end: dict[str, int] = field(default_factory=dict)


def _unwrap(body: Any) -> Any:
    if isinstance(body, dict) and "protobuf" in body and "message" in body:
        return body["message"]
    return body


def field_value(entry: JournalEntry, path: str) -> Any:
    """The value of a field path on one exchange (MISSING when absent)."""
    root, _, rest = path.partition(".")
    if root == "body":
        return lookup(_unwrap(entry.request_body), rest)
    if root == "response":
        return lookup(_unwrap(entry.response_body), rest)
    if root == "headers":
        return entry.request_headers.get(rest.lower(), MISSING)
    if root == "response_headers":
        return entry.response_headers.get(rest.lower(), MISSING)
    if path == "fault":
        return entry.fault is not None
    return getattr(entry, path, MISSING)


def _one_of(wanted: Any, actual: Any) -> bool:
    return wanted is None or actual in (wanted if isinstance(wanted, list) else [wanted])


def select(entries: Sequence[JournalEntry], criteria: Select, marks: StepMarks) -> list[JournalEntry]:
    chosen = []
    for entry in entries:
        if not (_one_of(criteria.endpoint, entry.endpoint) and _one_of(criteria.request_type, entry.request_type)):
            continue
        if not _one_of(criteria.status, entry.status):
            continue
        if criteria.method is not None and entry.method != criteria.method.upper():
            continue
        if criteria.fault is not None and (entry.fault is not None) != criteria.fault:
            continue
        if criteria.during is not None:
            start, end = marks.start.get(criteria.during), marks.end.get(criteria.during)
            if start is None or end is None or not start < entry.seq <= end:
                continue
        if criteria.after is not None:
            end = marks.end.get(criteria.after)
            if end is None or entry.seq <= end:
                continue
        chosen.append(entry)
    return chosen


def describe(entry: JournalEntry, origin: float | None = None, fields: Sequence[str] = ()) -> str:
    """``#12 POST /api/v1/retrieve_future -> 429 [OptimStep] +1.02s body.seq_id=3 (fault: ...)``."""
    parts = [entry.describe()]
    if entry.request_type:
        parts.append(f"[{entry.request_type}]")
    if origin is not None:
        parts.append(f"+{entry.timestamp - origin:.2f}s")
    for path in fields:
        value = field_value(entry, path)
        if value is not MISSING:
            text = repr(value)
            parts.append(f"{path}={text if len(text) <= 80 else text[:77] + '...'}")
    if entry.fault:
        parts.append(f"(fault: {entry.fault})")
    return " ".join(parts)


def _expected_text(check: WireCheck) -> str:
    data = check.model_dump(mode="json", exclude_none=True, exclude_defaults=True, by_alias=True)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=110).strip()


def _count_problems(count: int | CountRange | None, seen: int) -> list[str]:
    if count is None:
        return []
    if isinstance(count, int):
        return [] if seen == count else [f"expected {count} exchange(s), saw {seen}"]
    low = count.min if count.min is not None else 0
    high = count.max if count.max is not None else float("inf")
    return [] if low <= seen <= high else [f"expected between {count.min} and {count.max} exchange(s), saw {seen}"]


def _gap_problems(check: WireCheck, chosen: list[JournalEntry], entries: Sequence[JournalEntry]) -> list[str]:
    gaps = check.gaps
    if gaps is None:
        return []
    times = [e.timestamp for e in chosen]
    if gaps.from_ is not None:
        anchors = [e for e in entries if e.endpoint == gaps.from_]
        if not anchors:
            return [f"gaps: no {gaps.from_!r} exchange to measure from"]
        times.insert(0, anchors[0].timestamp)
    problems = []
    for a, b in zip(times, times[1:], strict=False):
        gap = b - a
        if gaps.min is not None and gap < gaps.min:
            problems.append(f"gap of {gap:.2f}s, expected at least {gaps.min:g}s")
        if gaps.max is not None and gap > gaps.max:
            problems.append(f"gap of {gap:.2f}s, expected at most {gaps.max:g}s")
    if len(times) < 2:
        problems.append(f"gaps: need at least two exchanges to measure, saw {len(times)}")
    return problems


def _order_problems(check: WireCheck, entries: Sequence[JournalEntry]) -> list[str]:
    names = [e.endpoint for e in entries]
    if check.first is not None:
        leading = [n for n in names if n not in BACKGROUND][: len(check.first)]
        return [] if leading == check.first else [f"the first exchanges were {leading}"]
    assert check.order is not None
    position = 0
    for wanted in check.order:
        while position < len(names) and names[position] != wanted:
            position += 1
        if position == len(names):
            return [f"{wanted!r} does not follow the earlier endpoints of the order"]
        position += 1
    return []


def evaluate(
    check: WireCheck, entries: Sequence[JournalEntry], marks: StepMarks, refs: dict[str, Any] | None = None
) -> Failure | None:
    """Run one check; None when it holds. ``refs`` has ``$name`` references already resolved in ``check``."""
    origin = entries[0].timestamp if entries else None
    if check.select is None:
        problems = _order_problems(check, entries)
        observed = [describe(e, origin) for e in entries if e.endpoint not in BACKGROUND or check.order]
        title = "order of requests" if check.order is not None else "first requests"
    else:
        chosen = select(entries, check.select, marks)
        problems = _count_problems(check.count, len(chosen))
        if check.statuses is not None and [e.status for e in chosen] != check.statuses:
            problems.append(f"expected statuses {check.statuses}, saw {[e.status for e in chosen]}")
        for path, spec in check.fields.items():
            values = [field_value(e, path) for e in chosen]
            problems += check_field(values, spec, path)
        if chosen or check.count not in (0, None):
            problems += _gap_problems(check, chosen, entries)
        observed = [describe(e, origin, list(check.fields)) for e in chosen] or ["(no matching exchanges)"]
        title = f"exchanges matching {check.select.model_dump(exclude_none=True)}"
    if not problems:
        return None
    if check.note:
        problems.append(f"note: {check.note}")
    return Failure(title=title, expected=_expected_text(check), observed=observed[:40], problems=problems)


def request_violations(entries: Sequence[JournalEntry]) -> Failure | None:
    """The implicit check: every request the client sent met the contracts."""
    bad = [(e, v) for e in entries for v in e.request_violations]
    if not bad:
        return None
    return Failure(
        title="requests that break the wire contracts",
        expected="every request body and header valid against contracts/ (protocol reference §5.1, §19)",
        observed=[f"{describe(e)}: {v}" for e, v in bad[:40]],
        problems=[f"{len(bad)} contract violation(s) in requests"],
    )
