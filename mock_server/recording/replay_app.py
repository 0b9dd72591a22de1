"""Replay-as-server: an ASGI app answering any client from a cassette (``tinker-harness serve --replay``).

Every request is matched (:mod:`mock_server.recording.matcher`) and answered with the recorded
status, headers and body, in the recorded order: at once by default, or after the recorded latency
(``tinker.duration``, long-poll holding included) times ``latency_scale``, slept on the server
:class:`~mock_server.clock.Clock` so a frozen clock replays hours of waiting in no time. Answers carry an
explicit ``Content-Length`` (protocol reference §1.1) and ``x-tinker-harness-replay: <seq>``
naming the interaction served. JSON answers are rewritten through the id bindings when a client
id was bound to a different recorded id.

A request nothing matches gets 404, one whose matches were all served 409 (with
``x-should-retry: false`` so the SDK's request layer does not retry it, §2.2), both with a JSON
near-miss diagnosis (:mod:`mock_server.recording.diagnosis`). ``GET /_harness/replay`` reports
progress: served, repeated and unserved interactions and every miss so far.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.types import Receive, Scope, Send

from tinker_harness.contracts.request_json import load_json
from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.recording.asgi import (
    HOP_BY_HOP,
    handle_lifespan,
    read_body,
    request_headers,
    send_bytes,
    send_json,
)
from tinker_harness.mock_server.recording.cassette import Cassette
from tinker_harness.mock_server.recording.diagnosis import diagnose
from tinker_harness.mock_server.recording.matcher import Recorded, ReplayMatcher
from tinker_harness.mock_server.recording.normalise import request_key

__all__ = ["STATUS_PATH", "ReplayApp", "recorded_answer"]

logger = logging.getLogger(__name__)
STATUS_PATH = "/_harness/replay"
_NOT_REPLAYED = HOP_BY_HOP | {"content-length", "content-encoding"}


class ReplayApp:
    """Serve ``cassette`` to whoever asks; one instance per replay (it consumes the cassette)."""

    def __init__(self, cassette: Cassette, *, latency_scale: float = 0.0, clock: Clock | None = None) -> None:
        if latency_scale < 0:
            raise ValueError(f"latency_scale must be >= 0, got {latency_scale}")
        self.cassette = cassette
        self.latency_scale = latency_scale
        self.clock = clock or Clock()
        self.matcher = ReplayMatcher(cassette)
        self.misses: list[dict[str, Any]] = []
        self.served = 0
        self.repeated = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await handle_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if body is None:
            return
        if scope["path"].endswith(STATUS_PATH):  # under any base-URL prefix
            await send_json(send, 200, self.status())
            return
        headers = {k.lower(): v for k, v in request_headers(scope)}
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"").decode("latin-1")
        uri = raw_path.decode("latin-1") + (f"?{query}" if query else "")
        try:
            key = request_key(
                scope["method"],
                uri,
                headers.get("content-type"),
                headers.get("content-encoding"),
                body,
                self.matcher.scrubber,
            )
        except Exception as exc:  # a body no decoder anticipated: still a JSON answer, never a 5xx
            detail = f"REPLAY: cannot read {scope['method']} {scope['path']}: {type(exc).__name__}: {exc}"
            payload = {"detail": detail, "code": "replay-unreadable-request", "method": scope["method"]}
            payload |= {"path": scope["path"], "idempotency_key": headers.get("x-idempotency-key")}
            await send_json(send, 400, payload)
            return
        outcome = self.matcher.match(key, headers.get("x-idempotency-key"))
        if outcome.recorded is not None:
            if outcome.kind == "served":
                self.served += 1
            else:
                self.repeated += 1
            host = headers.get("host") or "{}:{}".format(*scope.get("server") or ("127.0.0.1", 80))
            await self._answer(send, outcome.recorded, f"{scope.get('scheme', 'http')}://{host}")
            return
        status, payload = diagnose(self.matcher, key, outcome)
        request_id = f"replay-{self.served + self.repeated + len(self.misses) + 1:08d}"
        payload |= {"request_id": request_id, "idempotency_key": headers.get("x-idempotency-key")}
        self.misses.append(payload)
        logger.warning("%s [%s]", payload["detail"], request_id)
        await send_json(send, status, payload, [("x-should-retry", "false"), ("x-request-id", request_id)])

    async def _answer(self, send: Send, entry: Recorded, self_url: str) -> None:
        delay = (entry.interaction.tinker.duration or 0.0) * self.latency_scale
        if delay > 0:
            await self.clock.sleep(delay)
        await send_bytes(send, *recorded_answer(self.matcher, entry, self_url))

    def status(self) -> dict[str, Any]:
        unplayed = self.matcher.unplayed()
        return {
            "cassette": self.cassette.source,
            "interactions": len(self.matcher.entries),
            "served": self.served,
            "repeated": self.repeated,
            "unserved": [
                {"where": e.interaction.where(self.cassette.source), "request": e.key.describe()} for e in unplayed
            ],
            "misses": self.misses,
        }


def recorded_answer(
    matcher: ReplayMatcher, entry: Recorded, self_url: str | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of a recorded answer, its JSON ids renamed to the live ids bound to them.

    With ``self_url`` (the replay server's own origin), a redirect's ``Location`` points there
    instead of at the recorded host, so the client fetches the recorded download from the replay.
    """
    response = entry.interaction.response
    body = response.body
    if matcher.bindings.recorded_ids and "json" in (response.header("content-type") or ""):
        try:
            parsed = load_json(body)
        except ValueError:
            parsed = None
        if parsed is not None:
            renamed = matcher.bindings.live_for(parsed)
            if renamed != parsed:
                body = json.dumps(renamed, separators=(",", ":")).encode()
    headers = [(k, v) for k, values in response.headers.items() if k.lower() not in _NOT_REPLAYED for v in values]
    if self_url is not None and 300 <= response.status < 400:
        headers = [(k, _moved_to(self_url, v) if k.lower() == "location" else v) for k, v in headers]
    headers.append(("x-tinker-harness-replay", str(entry.interaction.tinker.seq)))
    return response.status, headers, body


def _moved_to(origin: str, location: str) -> str:
    """``location`` on ``origin``: same path and query, the replay server's scheme and host."""
    parts = urlsplit(location)
    return urlunsplit((*urlsplit(origin)[:2], parts.path, parts.query, parts.fragment)) if parts.netloc else location
