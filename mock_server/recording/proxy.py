"""The recording proxy (``tinker-harness record``): forwards to a live Tinker and records every exchange.

Language-agnostic: any client pointed at the proxy (``TINKER_BASE_URL``) is recorded, over either
of the SDK's transports (protocol reference §1). Each request is forwarded to ``upstream`` + the
request's path and query, with the client's headers minus hop-by-hop ones; the answer is streamed
back as it arrives — status, headers (``Content-Length`` and ``Content-Encoding`` included, so a
400's length survives, §1.1) and the raw body chunks — while a copy is kept. Long-polls (§6) are
held as long as the upstream holds them (no read timeout). When the client goes away before the
upstream answers, the upstream request is cancelled and nothing is recorded.

Once an answer is complete the exchange is prepared (decoded, scrubbed, annotated:
:mod:`mock_server.recording.prepare`) and appended to the cassette, flushed at once. An
unreachable upstream is answered 502 (JSON, not recorded); an upstream that breaks the exchange
(a reset, an empty or garbled answer) is answered 502 too, and that 502 is recorded as what the
client saw (``tinker.notes.upstream_error``).

A redirect (the legacy archive's ``302`` to a signed download URL, protocol reference §13) is
followed by the proxy itself, up to :data:`MAX_FOLLOWED` hops: each hop is fetched without the
client's credentials (a signed URL carries its own) and recorded as an interaction of its own,
the archive bytes included, with the signature scrubbed from its URL and from the ``Location``
that pointed to it. The client gets the upstream's redirect unchanged; the replay server sends it
back to itself instead (:mod:`mock_server.recording.replay_app`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from starlette.types import Receive, Scope, Send

from tinker_harness.mock_server.recording.asgi import (
    HOP_BY_HOP,
    handle_lifespan,
    read_body,
    relay_response,
    request_headers,
    send_json,
)
from tinker_harness.mock_server.recording.cassette import (
    CASSETTE_FORMAT,
    Annotation,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)
from tinker_harness.mock_server.recording.cassette_io import CassetteAppender
from tinker_harness.mock_server.recording.prepare import Preparer
from tinker_harness.mock_server.recording.scrub import ScrubRules

__all__ = ["MAX_FOLLOWED", "RecordingProxy"]

MAX_FOLLOWED = 5

logger = logging.getLogger(__name__)


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name.lower(), []).append(value)
    return out


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class RecordingProxy:
    """An ASGI app; close it (or let the server's lifespan shutdown do it) to finish the cassette."""

    def __init__(self, upstream: str, out: Path, rules: ScrubRules | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules = rules or ScrubRules()
        self._preparer = Preparer(self.rules)
        header = {
            "format": CASSETTE_FORMAT,
            "recorder": "proxy",
            "upstream": self._preparer.scrubber.text(self.upstream),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "scrubbed_fields": sorted(self.rules.fields),
            "scrubbed_headers": sorted(self.rules.headers),
        }
        self._cassette = CassetteAppender(out, header)
        self._seq = itertools.count()
        self._t0: float | None = None
        self._client: httpx.AsyncClient | None = None
        self.failures = 0  # exchanges that could not be recorded (logged; never written unscrubbed)

    @property
    def recorded(self) -> int:
        return self._cassette.count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await handle_lifespan(receive, send, self.aclose)
            return
        if scope["type"] != "http":
            return
        seq = next(self._seq)
        now = time.perf_counter()
        self._t0 = now if self._t0 is None else self._t0
        body = await read_body(receive)
        if body is None:
            return
        headers = request_headers(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        url = f"{self.upstream}{path}" + (f"?{query}" if query else "")
        forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP | {"host", "content-length"}]
        client = self._client or self._new_client()
        upstream = asyncio.ensure_future(
            client.send(client.build_request(scope["method"], url, headers=forwarded, content=body), stream=True)
        )
        gone = asyncio.ensure_future(_disconnected(receive))
        await asyncio.wait({upstream, gone}, return_when=asyncio.FIRST_COMPLETED)
        if not upstream.done():  # the client gave up (e.g. a cancelled long-poll): nothing to record
            upstream.cancel()
            return
        gone.cancel()
        try:
            response = upstream.result()
        except httpx.HTTPError as exc:
            where = f"{self._preparer.scrubber.text(self.upstream)} failed on {scope['method']} {path}"
            detail = f"RECORD: upstream {where}: {type(exc).__name__}: {exc}"
            request_id = f"record-{seq:08d}"
            logger.warning("%s [%s]", detail, request_id)
            payload = {"detail": detail, "code": "upstream-unreachable", "method": scope["method"], "path": path}
            payload["request_id"] = request_id
            answer = [("content-type", "application/json"), ("x-request-id", request_id)]
            await send_json(send, 502, payload, answer[1:])
            if not isinstance(exc, httpx.ConnectError):  # the upstream broke the exchange: what the client saw
                self._record(
                    Interaction(
                        RecordedRequest(scope["method"], url, _grouped(headers), body),
                        RecordedResponse(502, "Bad Gateway", _grouped(answer), json.dumps(payload).encode()),
                        Annotation(
                            seq=seq,
                            path=path,
                            started=now - self._t0,
                            duration=time.perf_counter() - now,
                            notes={"upstream_error": f"{type(exc).__name__}: {exc}"},
                        ),
                    )
                )
            return
        notes: dict[str, Any] = {}
        chunks = await relay_response(response, send, notes)
        raw = Interaction(
            RecordedRequest(scope["method"], url, _grouped(headers), body),
            RecordedResponse(
                response.status_code,
                response.reason_phrase,
                _grouped(list(response.headers.multi_items())),
                b"".join(chunks),
            ),
            Annotation(seq=seq, path=path, started=now - self._t0, duration=time.perf_counter() - now, notes=notes),
        )
        self._record(raw)
        location = response.headers.get("location")
        if 300 <= response.status_code < 400 and location:
            await self._follow(urljoin(url, location))

    async def _follow(self, target: str) -> None:
        """Fetch and record where a redirect points (a signed download), hop by hop."""
        client = self._client or self._new_client()
        for _ in range(MAX_FOLLOWED):
            seq, now = next(self._seq), time.perf_counter()
            try:
                response = await client.get(target)
            except httpx.HTTPError as exc:
                where = self._preparer.scrubber.text(target)
                logger.warning("RECORD: could not follow the redirect to %s: %s: %s", where, type(exc).__name__, exc)
                return
            headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
            started = now - (self._t0 or now)
            self._record(
                Interaction(
                    RecordedRequest("GET", target, {}, b""),
                    RecordedResponse(response.status_code, response.reason_phrase, _grouped(headers), response.content),
                    Annotation(
                        seq=seq,
                        path=urlsplit(target).path,
                        started=started,
                        duration=time.perf_counter() - now,
                        notes={"followed_redirect": True},
                    ),
                )
            )
            location = response.headers.get("location")
            if not (300 <= response.status_code < 400 and location):
                return
            target = urljoin(target, location)

    def _record(self, raw: Interaction) -> None:
        try:
            self._cassette.append(self._preparer.prepare(raw))
        except Exception:  # never write what could not be scrubbed
            self.failures += 1
            logger.exception("RECORD: could not record %s %s", raw.request.method, raw.request.uri)

    def _new_client(self) -> httpx.AsyncClient:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=10.0, read=None, write=60.0, pool=None),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            follow_redirects=False,
            trust_env=False,
        )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self.close()

    def close(self) -> None:
        """Finish the cassette file (idempotent)."""
        self._cassette.close()
