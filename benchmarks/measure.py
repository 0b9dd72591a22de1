"""What every benchmark returns, and how results are printed (a Markdown table for the README)."""

from __future__ import annotations

import platform
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    target: str
    detail: str = ""


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def machine() -> str:
    cores = __import__("os").cpu_count()
    return f"{platform.system()} {platform.machine()}, {cores} cores, Python {platform.python_version()}"


def markdown(results: list[Result]) -> str:
    lines = [
        f"Measured {datetime.now(UTC).date().isoformat()} on {machine()}.",
        "",
        "| Benchmark | Result | Target | Notes |",
        "|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r.name} | {r.value:.3g} {r.unit} | {r.target} | {r.detail} |")
    return "\n".join(lines)
