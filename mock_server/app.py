"""The mock Tinker server: configuration, clock, state, journal and the ASGI app in one object.

``MockServer(config).app`` is a Starlette application. Every Tinker path is dispatched through the
endpoint catalogue (:mod:`contracts.catalogue`): authentication, body decompression,
idempotent replay of retried submits, the handler, and JSON errors for everything that goes wrong.
The harness's own routes (signed downloads, the control API) live under ``/_harness/``, a prefix
no Tinker path uses.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Coroutine
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from tinker_harness.contracts.catalogue import CATALOGUE, endpoints_at, match_endpoint
from tinker_harness.contracts.traits import endpoints_with
from tinker_harness.mock_server import routes
from tinker_harness.mock_server.auth import Authenticator
from tinker_harness.mock_server.calls import HANDLERS, Call
from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.codec import body_too_large, decompress_body
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.errors import ApiError, error_response
from tinker_harness.mock_server.exchange import ExchangeRecord, exchange_of
from tinker_harness.mock_server.faults.engine import FaultEngine
from tinker_harness.mock_server.faults.inject import after_handler, before_handler, call_facts
from tinker_harness.mock_server.ids import IdFactory
from tinker_harness.mock_server.journal import Journal
from tinker_harness.mock_server.observer import JournalMiddleware
from tinker_harness.mock_server.runs import release_refused_seq_id
from tinker_harness.mock_server.signed_urls import UrlSigner
from tinker_harness.mock_server.standin_tokenizer import ModelVocabulary, model_vocabulary
from tinker_harness.mock_server.state import CachedAnswer, ServerState

__all__ = ["MockServer"]

logger = logging.getLogger(__name__)

# Polls and background chatter are reads: a repeated idempotency key there is not a retried write.
_NO_REPLAY = endpoints_with("read")
_UNAUTHENTICATED = endpoints_with("unauthenticated")
# Paths served by the harness itself; every other path, with any method, is a Tinker API call.
HARNESS_PATHS = ("/_harness/", "/openapi.json")


class MockServer:
    """A stateful mock of the Tinker API; serve ``.app`` with any ASGI server."""

    def __init__(self, config: ServerConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or ServerConfig()
        self.clock = clock or Clock()
        self.ids = IdFactory(self.config.seed)
        self.rng = np.random.default_rng(self.config.seed)
        self.state = ServerState()
        self.journal = Journal(
            self.config.journal_size, self.config.journal_path, validate=self.config.validate_traffic
        )
        secret = hashlib.sha256(f"tinker-harness:{self.config.seed}".encode()).digest()
        self.auth = Authenticator(secret, self.config.api_keys)
        self.signer = UrlSigner(secret)
        self.faults = FaultEngine(self.config.seed)
        self.public_url = f"http://{self.config.host}:{self.config.port}"
        self._tasks: set[asyncio.Task[Any]] = set()
        missing = [e.name for e in CATALOGUE if e.name not in HANDLERS]
        if missing:
            raise RuntimeError(f"catalogue endpoints without a handler: {missing}")
        self._harness = Starlette(
            routes=routes.harness_routes(self),
            exception_handlers={HTTPException: _json_http_exception},
        )
        self._tinker = request_response(self._dispatch)
        self.app: ASGIApp = JournalMiddleware(self._route, server=self)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Harness paths go to the harness routes; everything else, whatever the method, to the dispatcher."""
        if scope["type"] == "http" and not scope["path"].startswith(HARNESS_PATHS):
            await self._tinker(scope, receive, send)
        else:
            await self._harness(scope, receive, send)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run background work, keeping a reference until it finishes."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def reset(self, *, keep_faults: bool = False, keep_clock: bool = False) -> None:
        """Back to a fresh server: Tinker state, the journal and its counters, the fault plan and the
        clock (to how it started), unless ``keep_faults``/``keep_clock``. The configuration stays."""
        self.state.reset()
        self.journal.clear()
        if not keep_faults:
            self.faults.clear()
        if not keep_clock:
            self.clock.reset()

    def vocabulary(self, base_model: str) -> ModelVocabulary:
        """The tokenizer-side facts of ``base_model``'s model: vocabulary size, EOS, decoding, tokenizer id."""
        return model_vocabulary(base_model, hub_tokenizers=self.config.tokenizers == "hub")

    @property
    def jwt_mode(self) -> bool:
        return bool(self.config.client_config.get("pjwt_auth_enabled", False))

    async def _dispatch(self, request: Request) -> Response:
        """Serve one Tinker API call; every failure becomes a JSON error naming the exchange."""
        http_id = self.ids.http_request_id()
        method, path = request.method, request.url.path
        exchange = exchange_of(request.scope) or ExchangeRecord(method, path, "", [], self.clock.now(), 0.0)
        call: Call | None = None
        try:
            call = await self._prepare(request, http_id, exchange)
            response = await self._answer(call)
        except ApiError as error:
            response = error_response(
                error, method=method, path=path, request_id=http_id, session_id=call.session_id if call else None
            )
        except ClientDisconnect:  # the client went away mid-body (a process exiting): nobody reads the answer
            exchange.notes["client_disconnected"] = "the client closed the connection before its body was read"
            exchange.fault_changes_answer = True  # a partial body is not the client's request: nothing to check
            gone = ApiError(499, "client-disconnected", f"the client closed the connection during {method} {path}")
            response = error_response(gone, method=method, path=path, request_id=http_id, session_id=None)
        except Exception as exc:  # a bug in the mock: still JSON, still naming the exchange
            logger.exception("mock server failed on %s %s", method, path)
            bug = ApiError(
                500, "internal-error", f"the mock server failed on {method} {path}: {type(exc).__name__}: {exc}"
            )
            response = error_response(
                bug, method=method, path=path, request_id=http_id, session_id=call.session_id if call else None
            )
        if call is not None:
            exchange.session_id = call.session_id
        response.headers["x-request-id"] = http_id
        return response

    async def _prepare(self, request: Request, http_id: str, exchange: ExchangeRecord) -> Call:
        """Route (the one catalogue match of the exchange), authenticate and read the body of a call."""
        matched = match_endpoint(request.method, request.url.path)
        if matched is None:
            refusal = _no_route(request.method, request.url.path)
            if refusal.status == 405 and not _open_path(request.url.path):
                # The resource exists: a caller who may not call it learns nothing of its methods.
                await request.body()
                self._authenticate(request.headers.get("x-api-key"))
            raise refusal
        endpoint, params = matched
        exchange.endpoint = endpoint
        # The body is read before authentication so the journal holds what a refused client sent.
        body = await _bounded_body(request, self.config.max_request_bytes)
        owner = "anonymous"
        if endpoint.name not in _UNAUTHENTICATED:
            owner = self._authenticate(request.headers.get("x-api-key"))
        if endpoint.request_encoding != "none" and body:
            body = decompress_body(body, request.headers.get("content-encoding"), self.config.max_request_bytes)
        return Call(request, self, endpoint, owner, params, http_id, body, exchange)

    def _authenticate(self, credential: str | None) -> str:
        """The caller's owner id; 401 for a missing, malformed, unknown or revoked credential (§12)."""
        owner = self.auth.owner(credential, now=self.clock.now(), jwt_mode=self.jwt_mode)
        if owner in self.state.revoked_owners:
            raise ApiError(401, "revoked-api-key", "this API key was revoked")
        return owner

    async def _answer(self, call: Call) -> Response:
        """Faults first, then a replayed answer for a retried write, else the handler."""
        decision = None
        if self.faults.plan.rules:
            facts = call_facts(self, call)
            decision = self.faults.decide(facts, self.clock.now())
        if decision is not None:
            call.session_id = call.session_id or facts.session_id
            call.exchange.fault = decision.describe()
            call.exchange.fault_changes_answer = decision.rule.action is not None
            injected = await before_handler(self, call, decision)
            if injected is not None:
                if _final_refusal(injected):
                    release_refused_seq_id(call)
                return injected
        replay_key = call.header("x-idempotency-key") if call.endpoint.name not in _NO_REPLAY else None
        cached = self.state.idempotency.get(call.owner, call.endpoint.name, replay_key) if replay_key else None
        digest = hashlib.sha256(call.body).hexdigest()
        if cached is not None:
            if cached.body_digest != digest:
                raise ApiError(
                    422,
                    "idempotency-key-reused",
                    f"X-Idempotency-Key {replay_key!r} was already used for a different request body; "
                    "a retry must resend the same body, a new request needs a new key",
                )
            call.notes["idempotent_replay"] = True
            return Response(
                cached.content, cached.status, media_type=cached.media_type, headers={"x-idempotent-replay": "true"}
            )
        try:
            response = await HANDLERS[call.endpoint.name](call)
        except ApiError as refused:
            if refused.status < 500:
                release_refused_seq_id(call)
            raise
        if decision is not None:
            after_handler(self, call, response)
        if replay_key and 200 <= response.status_code < 300:
            answer = CachedAnswer(digest, response.status_code, bytes(response.body), response.media_type or "")
            self.state.idempotency.put(call.owner, call.endpoint.name, replay_key, answer)
        return response


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed ``limit`` (declared or received), unread."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise body_too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_too_large(size, limit, "the request body (so far)")
        chunks.append(chunk)
    return b"".join(chunks)


def _final_refusal(response: Response) -> bool:
    """A 4xx the SDK does not retry with the same seq_id (§3.2, §15.3; 402 pauses then retries): the seq_id is spent."""
    status = response.status_code
    retried = status in (402, 408, 409, 429) or (status == 400 and not response.body)
    return 400 <= status < 500 and not retried


async def _json_http_exception(request: Request, exc: Exception) -> Response:
    """Harness routes answer routing errors (404, 405) in JSON too."""
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", str(exc))
    return JSONResponse(
        {"detail": f"{request.method} {request.url.path}: {detail}", "code": "harness-route"}, status_code=status
    )


def _open_path(path: str) -> bool:
    return any(e.name in _UNAUTHENTICATED for e in endpoints_at(path))


def _no_route(method: str, path: str) -> ApiError:
    allowed = sorted({e.method for e in endpoints_at(path)})
    if allowed:
        return ApiError(
            405,
            "method-not-allowed",
            f"{method} is not allowed on {path}; use {', '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )
    return ApiError(404, "no-such-endpoint", f"no Tinker endpoint {method} {path}")
