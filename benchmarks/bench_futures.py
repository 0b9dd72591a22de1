"""Futures engine: wake latency of a long-poll, and the throughput of submit + retrieve pairs (protocol §6).

Wake latency: a ``retrieve_future`` is parked on a pending future; the future is completed from the
server's own event loop, and the time until the polling client holds the answer is measured (loopback,
same process, ``perf_counter`` on both sides). Pairs: concurrent clients each submit an ``optim_step``
and retrieve its future, again and again, against ``tinker-harness serve`` in its own process.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx

from benchmarks.measure import Result, median, own_cpu_seconds, percentile
from benchmarks.processes import mock_cli
from tinker_harness.mock_server.futures import FutureResult, FutureStore
from tinker_harness.mock_server.local import MockTinker, start_mock

POLLS = 200
PAIR_WORKERS = 16
SECTION = "Futures"
SESSION = {"tags": [], "user_metadata": {}, "sdk_version": "0.38.0"}
MODEL = {"model_seq_id": 0, "base_model": "Qwen/Qwen3-8B", "lora_config": {"rank": 1}}


def _one_wake(mock: MockTinker, http: httpx.Client, model_id: str, seq_id: int) -> float:
    """Park a poll on a pending future, complete the future from the server loop, time the answer."""
    future = http.post(
        "/api/v1/optim_step", json={"model_id": model_id, "seq_id": seq_id, "adam_params": {}}
    ).json()  # parked: seq_id - 1 is missing
    record = mock.server.state.futures.find(future["request_id"])
    assert record is not None
    answered: dict[str, float] = {}
    started: dict[str, float] = {}

    def poll() -> None:
        http.post("/api/v1/retrieve_future", json={"request_id": future["request_id"]})
        answered["at"] = time.perf_counter()

    def complete() -> None:
        started["at"] = time.perf_counter()
        FutureStore.start(record)
        FutureStore.complete(record, FutureResult({"metrics": {}}), mock.clock.now())

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.02)  # let the poll reach the server and park on the future's event
    record.loop.call_soon_threadsafe(complete)
    poller.join()
    mock.server.state.runs[model_id].queue.release(seq_id - 1)
    return answered["at"] - started["at"]


def wake_latency(polls: int) -> list[float]:
    mock = start_mock()
    http = httpx.Client(base_url=mock.base_url, headers={"X-API-Key": mock.api_key}, timeout=60)
    session = http.post("/api/v1/create_session", json=SESSION).json()
    model = http.post("/api/v1/create_model", json={**MODEL, "session_id": session["session_id"]}).json()
    samples = [_one_wake(mock, http, model["model_id"], 2 * i + 2) for i in range(polls)]
    http.close()
    mock.stop()
    return samples


async def _pairs(base_url: str, workers: int, seconds: float) -> tuple[list[float], int]:
    """``workers`` clients, each on its own model: submit optim_step, retrieve its future, repeat."""
    latencies: list[float] = []
    errors = 0
    headers = {"X-API-Key": "tml-benchmark"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:
        session = (await http.post("/api/v1/create_session", json=SESSION)).json()["session_id"]

        async def worker(index: int) -> None:
            nonlocal errors
            model = await http.post(
                "/api/v1/create_model", json={**MODEL, "session_id": session, "model_seq_id": index}
            )
            model_id = model.json()["model_id"]
            deadline = time.perf_counter() + seconds
            seq_id = 1
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                body = {"model_id": model_id, "seq_id": seq_id, "adam_params": {}}
                future = await http.post("/api/v1/optim_step", json=body)
                answer = await http.post("/api/v1/retrieve_future", json={"request_id": future.json()["request_id"]})
                while answer.is_success and answer.json().get("type") == "try_again":
                    answer = await http.post(
                        "/api/v1/retrieve_future", json={"request_id": future.json()["request_id"]}
                    )
                if future.is_success and answer.is_success and "metrics" in answer.json():
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
                seq_id += 1

        await asyncio.gather(*(worker(i) for i in range(workers)))
    return latencies, errors


def submit_retrieve_pairs(workers: int, seconds: float) -> tuple[list[float], int, float, str]:
    """Latencies, errors, wall seconds, and where the CPU went (server process, client process)."""
    with mock_cli() as server:
        started, server_cpu, client_cpu = time.perf_counter(), server.cpu_seconds(), own_cpu_seconds()
        latencies, errors = asyncio.run(_pairs(server.base_url, workers, seconds))
        elapsed = time.perf_counter() - started
        cpu = f"CPU: server {server.cpu_seconds() - server_cpu:.1f} s, client {own_cpu_seconds() - client_cpu:.1f} s"
    return latencies, errors, elapsed, cpu


def run(quick: bool = False) -> list[Result]:
    polls = 50 if quick else POLLS
    wake = wake_latency(polls)
    pairs, errors, elapsed, cpu = submit_retrieve_pairs(PAIR_WORKERS, 3 if quick else 10)
    return [
        Result(
            "wake latency: future completes -> long-poll answer received",
            median(wake) * 1000,
            "ms",
            "< 2 ms",
            f"median of {polls} on loopback, p90 {percentile(wake, 90) * 1000:.2f} ms, "
            f"p99 {percentile(wake, 99) * 1000:.2f} ms",
            SECTION,
        ),
        Result(
            "submit + retrieve pairs (optim_step, retrieve_future)",
            len(pairs) / elapsed,
            "pairs/s",
            "",
            f"{PAIR_WORKERS} concurrent clients, each on its own model, async httpx over loopback; "
            f"pair p50 {percentile(pairs, 50) * 1000:.1f} ms, p99 {percentile(pairs, 99) * 1000:.1f} ms; "
            f"{len(pairs):,} pairs, {errors} errors; {cpu} in {elapsed:.1f} s",
            SECTION,
        ),
    ]


if __name__ == "__main__":
    print(json.dumps([r.__dict__ for r in run()], indent=2))
