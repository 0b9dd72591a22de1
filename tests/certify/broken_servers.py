"""Our own server with one deliberate break each, as other Tinker-compatible servers have shipped them.

Each break is a thin ASGI layer over the real mock server (or the real server configured without a
limit): the certify kit must catch every one. None of them changes what a well-formed client sees
unless that client meets the break.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import DEFAULT_TEST_KEY
from tinker_harness.mock_server.runner import AppServer, _uvicorn


class ErrorsAs500:
    """Every 4xx answer becomes a 500 (the SDK then retries bad input as if the server were down)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def patched(message: Message) -> None:
            if message["type"] == "http.response.start" and 400 <= message["status"] < 500:
                message = {**message, "status": 500}
            await send(message)

        await self.app(scope, receive, patched)


class TryAgainAsProtobuf:
    """A pending poll under a protobuf Accept is labelled protobuf although its body is the JSON try_again
    (the SDK then fails to parse it instead of polling again)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        if b"protobuf" not in headers.get(b"accept", b""):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def buffered(message: Message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
                start = held[0]
                if b'"try_again"' in body:
                    kept = [(k, v) for k, v in start["headers"] if k.lower() != b"content-type"]
                    start = {**start, "headers": [*kept, (b"content-type", b"application/x-protobuf")]}
                await send(start)
                await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, buffered)


class MissingEndpoint:
    """One endpoint is not served: 404 with a JSON body, as a server that never implemented it."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app, self.path = app, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            body = json.dumps({"detail": "Not Found"}).encode()
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


@contextmanager
def serving(config: ServerConfig | None = None, wrap: Any = None) -> Iterator[str]:
    """The real mock server (``config``), optionally behind ``wrap(app)``, on a loopback port: its base URL."""
    server = MockServer((config or ServerConfig()).model_copy(update={"port": 0}))
    app = wrap(server.app) if wrap is not None else server.app
    running = AppServer(app, _serving=lambda a, level: _uvicorn(a, level, lifespan="off", mock=True)).start()
    server.public_url = running.base_url
    try:
        yield running.base_url
    finally:
        running.stop(5)


KEY = DEFAULT_TEST_KEY
