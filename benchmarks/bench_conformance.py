"""Conformance suite: the whole scenario catalogue against one adapter (target: under 30 s on 2 cores).

Each adapter is measured side by side: the old way (a new adapter process per scenario) and with
adapter reuse (one process per worker, ``reset`` between scenarios), each with as many workers as cores
and with 8 (scenarios mostly wait on the SDK's timers); mocks are in-process either way. The floor is the
heartbeat scenarios (about 22 s of the SDK's real 10 s heartbeat timer).

python -m benchmarks.bench_conformance [reference|sdk]   # default: both, one after the other
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import Result, markdown
from tinker_harness.scenarios.catalog import load_catalog
from tinker_harness.scenarios.conform import probe, run_adapter

ADAPTERS = {
    "reference": [sys.executable, "-m", "tinker_harness.scenarios.adapters.reference_client"],
    "sdk": [sys.executable, str(Path(__file__).resolve().parents[1] / "scenarios" / "adapters" / "python_sdk.py")],
}


def measure(name: str, jobs: int, limit: int | None = None, reuse: bool = True) -> Result:
    catalog = load_catalog()
    scenarios = list(catalog.scenarios)[:limit]
    command = ADAPTERS[name]
    hello = probe(command)
    cpu = os.times()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-conform-") as work:
        run = run_adapter(scenarios, command, hello, jobs=jobs, work_dir=Path(work), reuse=reuse)
    seconds = time.perf_counter() - started
    after = os.times()
    used = (after.children_user + after.children_system + after.user + after.system) - (
        cpu.children_user + cpu.children_system + cpu.user + cpu.system
    )
    statuses = [r.status for r in run.results]
    detail = (f"{hello.name} {hello.version}: {len(statuses)} scenarios, {statuses.count('pass')} pass, "
              f"{len(statuses) - statuses.count('pass')} other; --jobs {jobs}; {used:.0f} s CPU")  # fmt: skip
    scope = "whole catalogue" if limit is None else f"first {len(scenarios)} scenarios"
    target = "< 30 s" if limit is None and reuse and jobs >= 8 else ""
    way = "adapter reused" if reuse else "adapter per scenario"
    return Result(f"conform: {scope}, {name} adapter, {way}", seconds, "s", target, detail, "Suite time")


def run(names: list[str] | None = None, quick: bool = False) -> list[Result]:
    """Both adapters over the whole catalogue; a quick run: the reference adapter over 10 scenarios."""
    jobs = os.cpu_count() or 2
    if quick:
        return [measure("reference", jobs, limit=10)]
    # Scenarios mostly wait (the SDK's timers, long polls): more workers than cores pay off, most with reuse.
    return [
        measure(name, n, reuse=reuse)
        for name in names or list(ADAPTERS)
        for n in (jobs, max(8, jobs))
        for reuse in (False, True)
    ]


if __name__ == "__main__":
    print(markdown(run(sys.argv[1:] or None)))
