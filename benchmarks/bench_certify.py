"""``tinker-harness certify`` against our own server over every verified SDK generation (target: under 5 minutes
on 2 cores): per generation the SDK flow, every portable catalogue scenario (adapter reused), then the server checks.

python -m benchmarks.bench_certify [VERSION ...]   # default: every verified generation
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import Result, markdown
from tinker_harness.mock_server.local import start_mock
from tinker_harness.reports.certify.model import build_certify_report
from tinker_harness.scenarios.certify.features import verified_generations
from tinker_harness.scenarios.certify.run import CertifyOptions, certify
from tinker_harness.scenarios.sdk_envs import ensure_sdk_envs


def measure(versions: list[str]) -> Result:
    ensure_sdk_envs([v for v in versions if v != "0.38.0"])  # venvs are built before the clock starts
    mock = start_mock()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-certify-") as work:
            options = CertifyOptions(mock.base_url, mock.api_key, tuple(versions), Path(work), jobs=os.cpu_count() or 2)
            started = time.perf_counter()
            run = certify(options)
            seconds = time.perf_counter() - started
    finally:
        mock.stop()
    report = build_certify_report(run)
    scores = ", ".join(f"{v} {p}/{j}" for v in versions for p, j in [report.score(v)])
    detail = (f"{len(versions)} generation(s), {report.scenarios} scenarios each; "
              f"{'every feature passes' if report.ok else 'NOT all pass'}: {scores}")  # fmt: skip
    target = "< 300 s" if len(versions) > 1 else ""
    return Result(f"certify: our server, {len(versions)} SDK generation(s)", seconds, "s", target, detail, "Suite time")


def run(quick: bool = False) -> list[Result]:
    return [measure(["0.38.0"] if quick else verified_generations())]


if __name__ == "__main__":
    print(markdown([measure(sys.argv[1:] or verified_generations())]))
