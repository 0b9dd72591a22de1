"""SDK matrix time: the end-to-end flow over every SDK break point (``nox -s sdk_matrix``'s pytest run),
and the conformance catalogue against every break point (``nox -s conformance_versions``).

The full run starts cold (an empty ``TINKER_HARNESS_SDK_ENVS``: twelve venvs built in parallel from
the package index, as on a fresh CI machine) and then runs again warm, then the catalogue session
through nox itself (``-R``: its venv reused once made), so the figure is the CI step's; a quick run
times only the warm matrix against the shared cache.
"""

from __future__ import annotations

import os
import re
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


def _conformance_versions(envs: str) -> tuple[float, str]:
    env = {**os.environ, "TINKER_HARNESS_SDK_ENVS": envs}
    env.pop("PYTHONPATH", None)  # the session's own editable install of this checkout
    command = [sys.executable, "-m", "nox", "-R", "-s", "conformance_versions"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    rows = re.findall(r"^python-sdk \S+: (\d+) pass, (\d+) fail, (\d+) known-fail", done.stdout + done.stderr, re.M)
    passed, failed, known = (sum(int(r[i]) for r in rows) for i in range(3))
    return elapsed, f"{len(rows)} versions: {passed} pass, {failed} fail, {known} known-fail; exit {done.returncode}"


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
    if not quick:
        elapsed, outcome = _conformance_versions(shared)
        results.append(
            Result(
                f"conformance catalogue × {len(BREAK_POINTS)} SDK versions (nox -s conformance_versions, warm)",
                elapsed,
                "s",
                "< 600 s",
                outcome,
                SECTION,
            )
        )
    return results
