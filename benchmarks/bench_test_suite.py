"""Suite time: the whole test suite (``pytest -n auto``, as CI runs it) on this machine, wall clock.

A quick run times only ``tests/benchmarks`` and ``tests/unit``. The conformance catalogue's wall time is
:mod:`benchmarks.bench_conformance`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from benchmarks.measure import Result
from benchmarks.processes import ROOT

SECTION = "Suite time"
QUICK_PATHS = ("tests/benchmarks", "tests/unit")


def summary_counts(output: str) -> dict[str, int]:
    """The counts of pytest's final summary line, e.g. ``{"passed": 812, "skipped": 3}``."""
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    if not lines:
        return {}
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)", lines[-1])}


def run(quick: bool = False) -> list[Result]:
    paths = list(QUICK_PATHS) if quick else []
    command = [sys.executable, "-m", "pytest", "-n", "auto", "-q", *paths]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    elapsed = time.perf_counter() - started
    counts = summary_counts(done.stdout)
    outcome = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or f"no summary (exit {done.returncode})"
    scope = " ".join(paths) if quick else "whole suite"
    return [
        Result(
            f"test suite: pytest -n auto ({scope})",
            elapsed,
            "s",
            "< 600 s",
            f"{os.cpu_count()} workers; {outcome}",
            SECTION,
        )
    ]
