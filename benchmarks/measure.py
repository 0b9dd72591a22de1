"""What every benchmark returns, the statistics it uses, and the Markdown table of results."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    target: str
    detail: str = ""
    section: str = ""  # rows with the same section form one table in the report


class Unavailable(RuntimeError):
    """A benchmark cannot run on this machine (a tool is missing); the message says how to get it."""


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between the closest ranks."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0-100")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (Linux ``/proc``)."""
    total_kib = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:  # exited meanwhile
            continue
        total_kib += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            pending += [int(child) for child in task.read_text().split()]
    return total_kib / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def format_value(result: Result) -> str:
    if math.isnan(result.value):
        return "n/a"
    return f"{result.value:,.3g} {result.unit}" if abs(result.value) < 1000 else f"{result.value:,.0f} {result.unit}"


def table(results: Sequence[Result]) -> list[str]:
    lines = ["| Benchmark | Result | Target | Notes |", "|---|---|---|---|"]
    lines += [f"| {r.name} | {format_value(r)} | {r.target} | {r.detail} |" for r in results]
    return lines


def markdown(results: Sequence[Result]) -> str:
    """One table per section, in order of first appearance, under a line naming the date and machine."""
    lines = [f"Measured {today()} on {machine()}."]
    sections: dict[str, list[Result]] = {}
    for r in results:
        sections.setdefault(r.section, []).append(r)
    for section, rows in sections.items():
        lines += ["", f"### {section}", ""] if section else [""]
        lines += table(rows)
    return "\n".join(lines)
