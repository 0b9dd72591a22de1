"""Soak: a million requests through `tinker-harness serve` with the journal on, and its resident memory over time.

The server keeps its default in-memory journal ring and also appends every exchange to a JSONL file
(``--journal``). wrk sends a rotation of journaled requests (health, capabilities, a session
heartbeat with a JSON body) in back-to-back runs until the total is reached, while the server's RSS
is read every 0.5 s. The plot goes to ``reports/benchmarks/soak-rss.png``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.measure import Result
from benchmarks.processes import RssSampler, mock_cli
from benchmarks.report import REPORT_DIR, SOAK_PLOT
from benchmarks.wrk import Request, run_load

TOTAL = 1_000_000
SECTION = "Soak (journal on)"
AUTH = {"X-API-Key": "tml-benchmark"}


def soak_requests(base_url: str) -> list[Request]:
    session = httpx.post(
        f"{base_url}/api/v1/create_session",
        json={"tags": ["soak"], "user_metadata": {}, "sdk_version": "0.38.0"},
        headers=AUTH,
    ).json()["session_id"]
    return [
        Request("GET", "/api/v1/healthz"),
        Request("GET", "/api/v1/get_server_capabilities", headers=AUTH),
        Request("POST", "/api/v1/session_heartbeat", json.dumps({"session_id": session}), AUTH),
    ]


def plot(samples: list[tuple[float, float]], marks: list[tuple[float, int]], path: Path) -> bool:
    """RSS over time with the cumulative request count on a second axis; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axis = plt.subplots(figsize=(8, 4))
    axis.plot([t for t, _ in samples], [mib for _, mib in samples], color="tab:blue", label="server RSS")
    axis.set_xlabel("seconds")
    axis.set_ylabel("resident memory (MiB)", color="tab:blue")
    axis.set_ylim(bottom=0)
    requests_axis = axis.twinx()
    requests_axis.plot([t for t, _ in marks], [n for _, n in marks], color="tab:gray", linestyle="--", label="requests")
    requests_axis.set_ylabel("requests served", color="tab:gray")
    requests_axis.set_ylim(bottom=0)
    axis.set_title(f"tinker-harness serve, journal on: {marks[-1][1]:,} requests")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def run(quick: bool = False) -> list[Result]:
    total = 20_000 if quick else TOTAL
    chunk_seconds = 2 if quick else 10
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as work:
        journal = Path(work) / "journal.jsonl"
        with mock_cli("--journal", str(journal)) as server:
            requests = soak_requests(server.base_url)
            sampler = RssSampler(server, interval=0.5)
            sampler.start()
            started = time.perf_counter()
            served, errors = 0, 0
            marks: list[tuple[float, int]] = [(0.0, 0)]
            while served < total:
                load = run_load(server.base_url, requests, connections=16, seconds=chunk_seconds)
                served, errors = served + load.requests, errors + load.errors
                marks.append((time.perf_counter() - started, served))
            elapsed = time.perf_counter() - started
            sampler.stop()
        journal_mib = journal.stat().st_size / 2**20
    samples = sampler.samples
    after_first = next(mib for t, mib in samples if t >= marks[1][0])  # the journal ring is full by then
    plotted = plot(samples, marks, REPORT_DIR / SOAK_PLOT)
    rates = f"{served:,} requests in {elapsed:.0f} s ({served / elapsed:,.0f} req/s), {errors} errors"
    return [
        Result(
            f"RSS growth after the first {chunk_seconds} s, over {served:,} requests",
            samples[-1][1] - after_first,
            "MiB",
            "< 100 MiB",
            f"{after_first:.0f} MiB → {samples[-1][1]:.0f} MiB, peak {sampler.peak:.0f} MiB; {rates}",
            SECTION,
        ),
        Result(
            "journal file written during the soak",
            journal_mib,
            "MiB",
            "",
            ("plot: reports/benchmarks/soak-rss.png" if plotted else "plot skipped: pip install matplotlib")
            + "; default ring of 10,000 entries in memory",
            SECTION,
        ),
    ]
