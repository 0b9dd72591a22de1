"""ASGI middleware that watches the wire and writes the journal (one entry per exchange).

It sits outside the app, so it sees exactly the bytes that crossed the socket. After the response
is sent it decodes both bodies (protobuf into readable JSON), checks the exchange against the
contracts, redacts secrets and records the entry. A failure while journaling is logged and never
affects the answer the client got.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from tinker_harness.contracts.catalogue import Endpoint, endpoint_named, match_endpoint
from tinker_harness.contracts.proto_json import decode_proto, proto_to_json
from tinker_harness.contracts.tensor_codec import WireFormatError
from tinker_harness.contracts.validation import Exchange, check_exchange
from tinker_harness.mock_server.codec import decompress_body
from tinker_harness.mock_server.control import CONTROL_PREFIX
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.generations import generation_of, sdk_version_of
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.redaction import redact, redact_headers

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["CALL_INFO_KEY", "JournalMiddleware"]

logger = logging.getLogger(__name__)
CALL_INFO_KEY = "tinker_harness_call"


def _decode(raw: bytes, content_type: str, proto_type: type[Message] | None) -> Any:
    if not raw:
        return None
    if "application/x-protobuf" in content_type and proto_type is not None:
        try:
            return {"protobuf": proto_type.__name__, "message": proto_to_json(decode_proto(proto_type, raw))}
        except WireFormatError as exc:
            return {"protobuf": proto_type.__name__, "undecodable": str(exc), "bytes": len(raw)}
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {"text": raw.decode("utf-8", errors="replace")[:4096], "bytes": len(raw)}


class JournalMiddleware:
    def __init__(self, app: ASGIApp, server: MockServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        timestamp = self.server.clock.now()
        request_chunks: list[bytes] = []
        response: dict[str, Any] = {"status": 0, "headers": [], "chunks": []}

        async def watched_receive() -> AsgiMessage:
            message = await receive()
            if message["type"] == "http.request":
                request_chunks.append(message.get("body", b""))
            return message

        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            try:
                self._record(scope, timestamp, started, b"".join(request_chunks), response)
            except Exception:  # the journal must never break serving
                logger.exception("journal: could not record %s %s", scope.get("method"), scope.get("path"))

        async def watched_send(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                response["chunks"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    record()  # before the last byte leaves: a client that got its answer finds it journaled
            await send(message)

        try:
            await self.app(scope, watched_receive, watched_send)
        finally:
            record()

    def _record(
        self, scope: Scope, timestamp: float, started: float, request_body: bytes, response: dict[str, Any]
    ) -> None:
        method, path = scope["method"], scope["path"]
        req_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        resp_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response["headers"]]
        rh = {k.lower(): v for k, v in req_headers}
        sh = {k.lower(): v for k, v in resp_headers}
        info: dict[str, Any] = scope.get("state", {}).get(CALL_INFO_KEY, {})
        matched = match_endpoint(method, path)
        endpoint: Endpoint | None = matched[0] if matched else None
        origin = endpoint_named(info["future_origin"]) if info.get("future_origin") else None
        body = request_body
        if request_body and rh.get("content-encoding"):
            try:
                body = decompress_body(request_body, rh.get("content-encoding"))
            except ApiError:  # journal the bytes as they came; the handler already answered 4xx
                pass
        response_body = b"".join(response["chunks"])
        req_ct, resp_ct = rh.get("content-type", ""), sh.get("content-type", "")

        request_violations: list[str] = []
        response_violations: list[str] = []
        if endpoint is not None and self.server.config.validate_traffic and not info.get("fault_changes_answer"):
            check = check_exchange(
                Exchange(
                    endpoint=endpoint,
                    request_content_type=req_ct,
                    request_body=body,
                    status=response["status"],
                    response_content_type=resp_ct,
                    response_body=response_body,
                    accept=rh.get("accept", ""),
                    future_origin=origin,
                )
            )
            request_violations, response_violations = list(check.request), list(check.response)

        result_proto = origin.proto_result if origin is not None else None
        sdk_version = sdk_version_of(rh)
        entry = JournalEntry(
            seq=self.server.journal.next_seq(),
            timestamp=timestamp,
            http_request_id=sh.get("x-request-id", ""),
            method=method,
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            endpoint=endpoint.name if endpoint else info.get("route"),
            status=response["status"],
            request_headers=redact_headers(req_headers),
            response_headers=redact_headers(resp_headers),
            request_body=redact(_decode(body, req_ct, endpoint.proto_request if endpoint else None)),
            response_body=redact(_decode(response_body, resp_ct, result_proto)),
            duration_ms=(time.perf_counter() - started) * 1000.0,
            session_id=info.get("session_id"),
            sdk_version=sdk_version,
            sdk_generation=generation_of(sdk_version),
            sdk_method=rh.get("x-sdk-method"),
            request_type=rh.get("x-tinker-request-type"),
            future_request_id=info.get("future_request_id"),
            request_violations=request_violations,
            response_violations=response_violations,
            fault=info.get("fault"),
            notes=info.get("notes", {}),
        )
        self.server.journal.record(entry)
