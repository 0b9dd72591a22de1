"""Futures engine: wake latency of a long-poll, and journal memory under a million requests (issue 4).

Wake latency: a ``retrieve_future`` is parked on a pending future; the future is completed from the
server's own event loop, and the time until the polling client holds the answer is measured (loopback,
same process, ``perf_counter`` on both sides). Journal soak: a million requests go through the whole
ASGI stack (journal middleware, dispatch, auth, handler) in-process, and the resident memory growth is
read from ``/proc/self/status``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx

from benchmarks.measure import Result, median
from mock_server.futures import FutureResult, FutureStore
from mock_server.pytest_plugin import MockTinker, start_mock

POLLS = 200
SOAK_REQUESTS = 1_000_000


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


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


def wake_latency() -> list[float]:
    mock = start_mock()
    http = httpx.Client(base_url=mock.base_url, headers={"X-API-Key": mock.api_key}, timeout=60)
    session = http.post("/api/v1/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "b"}).json()
    model = http.post(
        "/api/v1/create_model",
        json={
            "session_id": session["session_id"],
            "model_seq_id": 0,
            "base_model": "Qwen/Qwen3-8B",
            "lora_config": {"rank": 1},
        },
    ).json()
    samples = [_one_wake(mock, http, model["model_id"], 2 * i + 2) for i in range(POLLS)]
    http.close()
    mock.stop()
    return samples


async def _soak(app: object, count: int) -> None:
    headers = [(b"x-api-key", b"tml-soak-key"), (b"user-agent", b"soak/1")]
    done = asyncio.Event()

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    for i in range(count):
        path = "/api/v1/healthz" if i % 2 else "/api/v1/get_server_capabilities"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000 + i % 1000),
            "server": ("127.0.0.1", 4010),
            "state": {},
        }
        await app(scope, receive, send)  # type: ignore[operator]


def journal_soak() -> tuple[float, float, int]:
    from mock_server.app import MockServer

    server = MockServer()
    asyncio.run(_soak(server.app, 20_000))  # warm caches and fill a first slice of the ring
    before = _rss_mb()
    started = time.perf_counter()
    asyncio.run(_soak(server.app, SOAK_REQUESTS))
    elapsed = time.perf_counter() - started
    after = _rss_mb()
    assert server.journal.total == SOAK_REQUESTS + 20_000
    return after - before, elapsed, len(server.journal.entries())


def run() -> list[Result]:
    wake = wake_latency()
    growth, elapsed, kept = journal_soak()
    return [
        Result(
            "wake latency: future completes -> long-poll answer received",
            median(wake) * 1000,
            "ms",
            "< 2 ms",
            f"median of {POLLS} on loopback, p90 {sorted(wake)[int(POLLS * 0.9)] * 1000:.2f} ms",
        ),
        Result(
            "journal soak: RSS growth over 1,000,000 requests",
            growth,
            "MB",
            "< 100 MB",
            f"default ring ({kept:,} entries kept), {SOAK_REQUESTS / elapsed:,.0f} req/s in-process ASGI",
        ),
    ]


if __name__ == "__main__":
    print(json.dumps([r.__dict__ for r in run()], indent=2))
