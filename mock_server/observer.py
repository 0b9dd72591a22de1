"""ASGI middleware that watches the wire and hands each exchange to the journal (§17).

It sits outside the app, so it sees exactly the bytes that crossed the socket. On arrival it puts a
typed :class:`~mock_server.exchange.ExchangeRecord` in the scope for the dispatcher to fill in; it
collects the request and response bytes, and before the last byte of the answer leaves (so a
client that got its answer finds it journaled) it appends the raw record to the journal. Decoding,
contract checks and redaction happen later, off the request's path (:mod:`mock_server.journal`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from tinker_harness.mock_server.control import CONTROL_PREFIX
from tinker_harness.mock_server.exchange import EXCHANGE_KEY, ExchangeRecord

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["JournalMiddleware"]


class JournalMiddleware:
    def __init__(self, app: ASGIApp, server: MockServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        record = ExchangeRecord(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            scope["headers"],
            self.server.clock.now(),
            time.perf_counter(),
        )
        scope.setdefault("state", {})[EXCHANGE_KEY] = record
        request_chunks: list[bytes] = []
        response_chunks: list[bytes] = []
        journal = self.server.journal
        recorded = False

        def finish() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                record.request_body = b"".join(request_chunks)
                record.response_body = b"".join(response_chunks)
                record.duration_ms = (time.perf_counter() - record.started) * 1000.0
                journal.append(record)

        async def watched_receive() -> AsgiMessage:
            message = await receive()
            if message["type"] == "http.request":
                request_chunks.append(message.get("body", b""))
            return message

        async def watched_send(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                record.response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                response_chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    finish()  # before the last byte leaves: a client that got its answer finds it journaled
            await send(message)

        try:
            await self.app(scope, watched_receive, watched_send)
        finally:
            finish()
