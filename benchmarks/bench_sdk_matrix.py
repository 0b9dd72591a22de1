"""SDK matrix time: the end-to-end flow over every SDK break point (``nox -s sdk_matrix``'s pytest run).

The full run starts cold (an empty ``TINKER_HARNESS_SDK_ENVS``: twelve venvs built in parallel from
the package index, as on a fresh CI machine) and then runs again warm; a quick run times only the
warm run against the shared cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from benchmarks.bench_test_suite import summary_counts
from benchmarks.measure import Result
from benchmarks.processes import ROOT
from tinker_harness.contracts.surface.profile import BREAK_POINTS

SECTION = "Suite time"


def _matrix(envs: str) -> tuple[float, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TINKER_HARNESS_SDK_ENVS": envs,
        "TINKER_HARNESS_SDK_VERSIONS": ",".join(BREAK_POINTS),
    }
    command = [sys.executable, "-m", "pytest", "-n", "2", "-q", "tests/versions"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    counts = summary_counts(done.stdout)
    return elapsed, ", ".join(f"{n} {kind}" for kind, n in counts.items()) or f"no summary (exit {done.returncode})"


def run(quick: bool = False) -> list[Result]:
    shared = os.environ.get("TINKER_HARNESS_SDK_ENVS", str(ROOT / ".sdk-envs"))
    results = []
    if not quick:
        with tempfile.TemporaryDirectory(prefix="sdk-envs-") as cold:
            elapsed, outcome = _matrix(cold)
        results.append(
            Result(
                f"SDK matrix, cold ({len(BREAK_POINTS)} versions, venvs built)",
                elapsed,
                "s",
                "< 600 s",
                f"pytest -n 2; {outcome}",
                SECTION,
            )
        )
    elapsed, outcome = _matrix(shared)
    results.append(
        Result(
            f"SDK matrix, warm ({len(BREAK_POINTS)} versions)",
            elapsed,
            "s",
            "< 120 s",
            f"pytest -n 2; {outcome}",
            SECTION,
        )
    )
    return results
