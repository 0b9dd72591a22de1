"""Start-up: `tinker-harness serve` to its first answered request, and the pytest fixture's readiness."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from benchmarks.measure import Result, median

RUNS = 7


def serve_first_request() -> list[float]:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        while True:
            try:
                if httpx.get(f"{url}/api/v1/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.005)
        samples.append(time.perf_counter() - started)
        process.terminate()
        process.wait(10)
    return samples


def fixture_ready() -> list[float]:
    from mock_server.pytest_plugin import start_mock

    start_mock().stop()  # warm imports: the fixture runs inside an already-importing test process
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        mock = start_mock()
        httpx.get(f"{mock.base_url}/api/v1/healthz")
        samples.append(time.perf_counter() - started)
        mock.stop()
    return samples


def run() -> list[Result]:
    serve = serve_first_request()
    fixture = fixture_ready()
    return [
        Result(
            "serve: start to first answered request",
            median(serve),
            "s",
            "< 1 s",
            f"median of {RUNS}, new process each time, max {max(serve):.2f} s",
        ),
        Result(
            "pytest fixture ready (start + first answer)",
            median(fixture) * 1000,
            "ms",
            "< 300 ms",
            f"median of {RUNS}, max {max(fixture) * 1000:.0f} ms",
        ),
    ]
