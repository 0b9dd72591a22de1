"""A journalling proxy in front of any Tinker server: what the SDK sent, what the server answered.

``tinker-harness certify`` points the official SDK at this proxy instead of the server under test.
Every request is forwarded to ``upstream`` + its path and query with the client's headers (minus
hop-by-hop ones, plus the user's extra headers); the answer is streamed back unchanged (status,
headers, ``Content-Encoding``, body bytes). Long polls are held as long as the server holds them.
Each exchange then becomes a :class:`~mock_server.journal.JournalEntry` exactly as our mock's own
journal would write it: bodies decoded (zstd removed, protobuf as readable JSON, protocol §7),
secrets redacted, and both sides checked against the contracts (§5.1, §6.2, §19). A request the
client gave up on before the server answered is journalled with status 0 and how long it waited,
so a long poll outliving the SDK's read timeout (§6.1) shows.

``POST /_harness/certify/mark?label=X`` is answered by the proxy itself (never forwarded): it
records where in the journal a flow step starts, so a failure can be tied to its requests.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.types import Receive, Scope, Send

from tinker_harness.contracts.catalogue import CATALOGUE, Endpoint
from tinker_harness.mock_server.exchange import ExchangeRecord
from tinker_harness.mock_server.journal import Journal
from tinker_harness.mock_server.recording.asgi import (
    HOP_BY_HOP,
    handle_lifespan,
    read_body,
    relay_response,
    request_headers,
    send_json,
)
from tinker_harness.mock_server.recording.bodies import (
    decode_content,
    endpoint_of,
    is_protobuf,
    json_or_none,
)

__all__ = ["MARK_PATH", "Mark", "WatchingProxy"]

MARK_PATH = "/_harness/certify/mark"


@dataclass(frozen=True)
class Mark:
    """A flow step started after journal entry ``seq`` (entries with a larger seq belong to it or later)."""

    label: str
    seq: int
    at: float


@dataclass
class _Raw:
    method: str
    path: str
    query: str
    started: float
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int = 0
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)


def _decoded(body: bytes, headers: Mapping[str, str]) -> bytes:
    plain = decode_content(body, headers.get("content-encoding"))
    return body if plain is None else plain


def _bytes_headers(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class WatchingProxy:
    """An ASGI app forwarding to ``upstream``; :attr:`journal` and :attr:`marks` say what crossed it."""

    def __init__(
        self, upstream: str, *, extra_headers: Mapping[str, str] | None = None, journal_size: int = 50_000
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.extra_headers = {k.lower(): v for k, v in (extra_headers or {}).items()}
        self.journal = Journal(size=journal_size)
        self.marks: list[Mark] = []
        self._origins: dict[str, Endpoint] = {}  # future request_id -> the endpoint that handed it out
        self._lock = threading.Lock()
        self._client: httpx.AsyncClient | None = None

    # --- marks --------------------------------------------------------------------------------------

    def mark(self, label: str) -> Mark:
        mark = Mark(label, self.journal.last_seq, time.time())
        with self._lock:
            self.marks.append(mark)
        return mark

    def reset(self) -> None:
        """Forget the journal and the marks (between scenarios)."""
        self.journal.clear()
        with self._lock:
            self.marks.clear()

    # --- ASGI -----------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await handle_lifespan(receive, send, self.aclose)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == MARK_PATH:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            mark = self.mark(query.get("label", ["?"])[0])
            await send_json(send, 200, {"label": mark.label, "seq": mark.seq})
            return
        started = time.time()
        clock = time.perf_counter()
        body = await read_body(receive)
        if body is None:
            return
        headers = request_headers(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        raw = _Raw(scope["method"], scope["path"], query, started, headers, body)
        forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP | {"host", "content-length"}]
        forwarded = [(k, v) for k, v in forwarded if k.lower() not in self.extra_headers]
        forwarded += list(self.extra_headers.items())
        client = self._client or self._new_client()
        url = f"{self.upstream}{path}" + (f"?{query}" if query else "")
        request = client.build_request(scope["method"], url, headers=forwarded, content=body)
        upstream = asyncio.ensure_future(client.send(request, stream=True))
        gone = asyncio.ensure_future(_disconnected(receive))
        await asyncio.wait({upstream, gone}, return_when=asyncio.FIRST_COMPLETED)
        if not upstream.done():  # the client gave up first (its read timeout): journal how long it waited
            upstream.cancel()
            raw.seconds = time.perf_counter() - clock
            raw.notes["abandoned_after"] = round(raw.seconds, 3)
            self._record(raw)
            return
        gone.cancel()
        try:
            response = upstream.result()
        except httpx.HTTPError as exc:
            detail = f"certify proxy: {self.upstream} failed on {scope['method']} {scope['path']}: {type(exc).__name__}"
            raw.status, raw.notes["upstream_error"] = 502, f"{type(exc).__name__}: {exc}"
            raw.seconds = time.perf_counter() - clock
            self._record(raw)
            await send_json(send, 502, {"detail": detail, "code": "upstream-unreachable"})
            return
        raw.status = response.status_code
        raw.response_headers = list(response.headers.multi_items())
        raw.response_body = b"".join(await relay_response(response, send, raw.notes))
        raw.seconds = time.perf_counter() - clock
        self._record(raw)

    def _new_client(self) -> httpx.AsyncClient:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=15.0, read=None, write=120.0, pool=None),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            follow_redirects=False,
            trust_env=False,
        )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- journal --------------------------------------------------------------------------------------

    def _record(self, raw: _Raw) -> None:
        """Journal one exchange as the mock would (the journal decodes, checks and redacts it on read)."""
        rh = {k.lower(): v for k, v in raw.request_headers}
        sh = {k.lower(): v for k, v in raw.response_headers}
        endpoint = endpoint_of(raw.method, raw.path)
        request_body = _decoded(raw.request_body, rh)
        response_body = _decoded(raw.response_body, sh)
        origin = self._origin(endpoint, request_body, rh.get("x-tinker-request-type"))
        self._remember(endpoint, response_body, sh)
        self.journal.append(
            ExchangeRecord(
                method=raw.method,
                path=raw.path,
                query=raw.query,
                request_headers=_bytes_headers(raw.request_headers),
                timestamp=raw.started,
                started=raw.started,
                endpoint=endpoint,
                future_request_id=self._request_id(endpoint, request_body, response_body),
                future_origin=origin.name if origin is not None else None,
                notes=raw.notes,
                request_body=request_body,
                status=raw.status,
                response_headers=_bytes_headers(raw.response_headers),
                response_body=response_body,
                duration_ms=raw.seconds * 1000.0,
            )
        )

    def _origin(self, endpoint: Endpoint | None, body: bytes, request_type: str | None) -> Endpoint | None:
        if endpoint is None or endpoint.name != "retrieve_future":
            return None
        parsed = json_or_none(body)
        request_id = parsed.get("request_id") if isinstance(parsed, dict) else None
        with self._lock:
            found = self._origins.get(str(request_id))
        if found is not None:
            return found
        by_type = [e for e in _FUTURE_ENDPOINTS if e.request_type == request_type]
        return by_type[0] if by_type else None

    def _remember(self, endpoint: Endpoint | None, body: bytes, headers: Mapping[str, str]) -> None:
        if endpoint is None or not endpoint.returns_future or is_protobuf(headers.get("content-type")):
            return
        parsed = json_or_none(body)
        if isinstance(parsed, dict) and isinstance(parsed.get("request_id"), str):
            with self._lock:
                self._origins[parsed["request_id"]] = endpoint

    @staticmethod
    def _request_id(endpoint: Endpoint | None, request: bytes, response: bytes) -> str | None:
        if endpoint is None:
            return None
        for body in (response, request) if endpoint.name != "retrieve_future" else (request,):
            parsed = json_or_none(body)
            if isinstance(parsed, dict) and isinstance(parsed.get("request_id"), str):
                return str(parsed["request_id"])
        return None


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


_FUTURE_ENDPOINTS = tuple(e for e in CATALOGUE if e.returns_future)
