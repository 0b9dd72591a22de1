"""The app's own ceiling: JSON endpoints served in-process, no network and no ASGI server.

Each request is one call of the ASGI app (``MockServer.app``) with a prepared scope, so the figure
is the app itself: routing, auth, handler, the journal middleware. The journal's deferred work
(decoding, contract checks and redaction of every exchange, done when entries are read or written
to the sink) is timed separately afterwards, by reading the whole journal, so moving work off the
request's path cannot hide it: "served" is what a client waits for, "served + journal read" is
everything the server did.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from benchmarks.measure import Result

SECTION = "In-process ceiling (no network)"
API_KEY = b"tml-benchmark"
SESSION_BODY = json.dumps({"tags": ["bench"], "user_metadata": {}, "sdk_version": "0.38.0"}).encode()


def _scope(method: str, path: str, body: bytes) -> dict[str, Any]:
    headers = [(b"x-api-key", API_KEY), (b"host", b"mock")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "headers": headers,
        "client": ("127.0.0.1", 5000), "server": ("mock", 80),
    }  # fmt: skip


async def _call(app: Any, method: str, path: str, body: bytes) -> int:
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(method, path, body), receive, send)
    return status


async def _serve(requests: tuple[tuple[str, str, bytes], ...], seconds: float) -> tuple[int, float, float]:
    from tinker_harness.mock_server.app import MockServer
    from tinker_harness.mock_server.config import ServerConfig

    server = MockServer(ServerConfig(journal_size=1_000_000))  # every exchange is read back, none evicted
    assert await _call(server.app, "POST", "/api/v1/create_session", SESSION_BODY) == 200
    served = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for method, path, body in requests:
            status = await _call(server.app, method, path, body)
            if status >= 400:
                raise RuntimeError(f"{method} {path} answered {status}")
            served += 1
    elapsed = time.perf_counter() - started
    reading = time.perf_counter()
    entries = server.journal.entries()
    read = time.perf_counter() - reading
    assert not any(e.violations for e in entries), [e.violations for e in entries if e.violations][:3]
    return served, elapsed, read


def run(quick: bool = False) -> list[Result]:
    seconds = 2.0 if quick else 10.0
    mixes = {
        "GET /healthz": (("GET", "/api/v1/healthz", b""),),
        "GET /get_server_capabilities": (("GET", "/api/v1/get_server_capabilities", b""),),
        "POST /create_session": (("POST", "/api/v1/create_session", SESSION_BODY),),
    }
    results = []
    for label, requests in mixes.items():
        served, elapsed, read = asyncio.run(_serve(requests, seconds))
        results.append(
            Result(
                f"{label}: served in-process",
                served / elapsed,
                "req/s",
                "",
                f"{served} requests in {elapsed:.1f} s; reading the journal then took {read:.2f} s "
                f"({served / (elapsed + read):,.0f} req/s with the journal's work included)",
                SECTION,
            )
        )
    return results
