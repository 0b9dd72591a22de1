"""Conformance suite: the whole scenario catalogue against one adapter (target: under 2 minutes).

python -m benchmarks.bench_conformance [reference|sdk]   # default: both, one after the other
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import Result, markdown
from scenarios.catalog import load_catalog
from scenarios.conform import probe, run_adapter

ADAPTERS = {
    "reference": [sys.executable, "-m", "scenarios.adapters.reference_client"],
    "sdk": [sys.executable, str(Path(__file__).resolve().parents[1] / "scenarios" / "adapters" / "python_sdk.py")],
}


def measure(name: str, jobs: int) -> Result:
    catalog = load_catalog()
    command = ADAPTERS[name]
    hello = probe(command)
    cpu = os.times()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-conform-") as work:
        run = run_adapter(list(catalog.scenarios), command, hello, jobs=jobs, work_dir=Path(work))
    seconds = time.perf_counter() - started
    after = os.times()
    used = (after.children_user + after.children_system + after.user + after.system) - (
        cpu.children_user + cpu.children_system + cpu.user + cpu.system
    )
    statuses = [r.status for r in run.results]
    detail = (f"{hello.name} {hello.version}: {len(statuses)} scenarios, {statuses.count('pass')} pass, "
              f"{len(statuses) - statuses.count('pass')} other; --jobs {jobs}; {used:.0f} s CPU")  # fmt: skip
    return Result(f"conform: whole catalogue, {name} adapter", seconds, "s", "< 120 s", detail)


def run(names: list[str] | None = None) -> list[Result]:
    jobs = os.cpu_count() or 2
    return [measure(name, jobs) for name in names or list(ADAPTERS)]


if __name__ == "__main__":
    print(markdown(run(sys.argv[1:] or None)))
