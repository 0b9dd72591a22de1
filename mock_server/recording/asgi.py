"""Small ASGI helpers for the recording proxy and the replay server (both plain ASGI apps)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

__all__ = ["HOP_BY_HOP", "handle_lifespan", "read_body", "relay_response", "request_headers", "send_bytes", "send_json"]

# Connection-level headers (RFC 9110 §7.6.1): never forwarded or replayed; framing is the server's job.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)


async def handle_lifespan(
    receive: Receive, send: Send, on_shutdown: Callable[[], Awaitable[None]] | None = None
) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if on_shutdown is not None:
                await on_shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client went away first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def request_headers(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]


async def send_bytes(send: Send, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
    """A complete response with an explicit Content-Length (protocol reference §1.1)."""
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers if k.lower() != "content-length"]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, payload: dict[str, Any], headers: Iterable[tuple[str, str]] = ()) -> None:
    body = json.dumps(payload, default=str).encode()
    await send_bytes(send, status, [("content-type", "application/json"), *headers], body)


async def relay_response(response: httpx.Response, send: Send, notes: dict[str, Any]) -> list[bytes]:
    """Stream an upstream answer to the client chunk by chunk (hop-by-hop headers dropped); return the raw
    chunks. An upstream that breaks off mid-body is noted as ``notes["upstream_error"]`` and the client sees
    the body short, as it would without a proxy."""
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1"))
        for k, v in response.headers.multi_items()
        if k.lower() not in HOP_BY_HOP
    ]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    chunks: list[bytes] = []
    try:
        async for chunk in response.aiter_raw():
            chunks.append(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except httpx.HTTPError as exc:
        notes["upstream_error"] = f"{type(exc).__name__}: {exc}"
    finally:
        await response.aclose()
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return chunks
