"""Cold start: process start to first answered request, `tinker-harness serve` against Prism; and the pytest
fixture's readiness.

Both servers are measured the same way: a new process each time, polled on ``GET /api/v1/healthz``
until it answers 200. Prism loads the whole generated OpenAPI document at start.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from benchmarks.measure import Result, Unavailable, median
from benchmarks.prism import prism_server, prism_version
from benchmarks.processes import ServerProcess, mock_cli

SECTION = "Cold start"


def cold_starts(make: Callable[[], ServerProcess], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        with make() as server:
            samples.append(server.startup_seconds)
    return samples


def fixture_ready(runs: int) -> list[float]:
    from tinker_harness.mock_server.local import start_mock

    start_mock().stop()  # warm imports: the fixture runs inside an already-importing test process
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        mock = start_mock()
        httpx.get(f"{mock.base_url}/api/v1/healthz")
        samples.append(time.perf_counter() - started)
        mock.stop()
    return samples


def run(quick: bool = False) -> list[Result]:
    runs = 3 if quick else 7
    serve = cold_starts(mock_cli, runs)
    fixture = fixture_ready(runs)
    results = [
        Result(
            "serve: start to first answered request",
            median(serve),
            "s",
            "< 1 s",
            f"median of {runs}, new process each time, max {max(serve):.2f} s",
            SECTION,
        ),
        Result(
            "pytest fixture ready (start + first answer)",
            median(fixture) * 1000,
            "ms",
            "< 300 ms",
            f"median of {runs}, max {max(fixture) * 1000:.0f} ms",
            SECTION,
        ),
    ]
    try:
        prism = cold_starts(prism_server, runs)
    except Unavailable as missing:
        return [*results, Result("Prism: start to first answered request", float("nan"), "s", "", str(missing))]
    return [
        *results,
        Result(
            "Prism: start to first answered request",
            median(prism),
            "s",
            "",
            f"Prism {prism_version()} on the generated document; median of {runs}, max {max(prism):.2f} s",
            SECTION,
        ),
        Result(
            "cold start: mock ÷ Prism",
            median(serve) / median(prism),
            "×",
            "",
            "lower is faster",
            SECTION,
        ),
    ]
