"""What the pytest plugin costs a test run that never uses it, and what its first fixture use costs.

Each sample is a new interpreter that has already imported pytest (as a pytest run has when it loads
the ``tinker_harness`` entry point), so only the plugin's own import is timed. The server's modules
load when a fixture is first used; that cost is measured separately (imports + start + stop).
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.measure import Result, median

SECTION = "Cold start"

_PLUGIN_IMPORT = """
import json, time, pytest
started = time.perf_counter()
import tinker_harness.mock_server.pytest_plugin
print(json.dumps(time.perf_counter() - started))
"""

_FIRST_FIXTURE = """
import json, time, pytest
import tinker_harness.mock_server.pytest_plugin
started = time.perf_counter()
from tinker_harness.mock_server.local import start_mock
start_mock().stop()
print(json.dumps(time.perf_counter() - started))
"""


def _sample(code: str) -> float:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def run(quick: bool = False) -> list[Result]:
    runs = 5 if quick else 15
    plugin = [_sample(_PLUGIN_IMPORT) for _ in range(runs)]
    first = [_sample(_FIRST_FIXTURE) for _ in range(3 if quick else 7)]
    return [
        Result(
            "pytest plugin import (pytest already loaded)",
            median(plugin) * 1000,
            "ms",
            "< 50 ms",
            f"median of {runs} new interpreters, max {max(plugin) * 1000:.0f} ms",
            SECTION,
        ),
        Result(
            "first fixture use: server imports + start + stop",
            median(first) * 1000,
            "ms",
            "",
            f"median of {len(first)} new interpreters, max {max(first) * 1000:.0f} ms; paid only by tests using it",
            SECTION,
        ),
    ]
