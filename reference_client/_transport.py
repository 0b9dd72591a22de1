"""One HTTP call to a catalogue endpoint, with both retry layers (protocol reference §1, §2, §3, §15.1).

:meth:`Transport.call` performs one logical request: it builds the path from the endpoint's
template in :mod:`contracts.catalogue` (parameters interpolated raw, so checkpoint ids keep their
``/``), sets the headers of §2.1, and runs the transport retry layer: the same
``X-Idempotency-Key`` on every attempt, ``x-stainless-retry-count`` = attempt number. A final
non-2xx answer becomes the :class:`~reference_client.APIStatusError` subclass of its status; no
answer at all becomes :class:`~reference_client.ConnectionFailed`, and so does an empty-bodied 400
(a proxy's reject, §1.1: see :mod:`._connections`) while its budget lasts. Around that, the holder
layer runs when the endpoint's :class:`CallPolicy` asks for it. All waits use the injected clock.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, TypeVar

import httpx
import pydantic

from tinker_harness.contracts import WireModel
from tinker_harness.contracts.catalogue import endpoint_named

from ._clock import Clock, SystemClock
from ._config import ClientSettings, current_api_method
from ._connections import Connections, is_proxy_reject
from ._errors import APIStatusError, ConnectionFailed, ProtocolError, status_error_class
from ._retry import BillingPause, HolderPolicy, RetryPolicy, call_policy, holder_retryable_status, should_retry

__all__ = ["JSON_CONTENT", "PROTOBUF_CONTENT", "Transport", "parse_model"]

JSON_CONTENT = "application/json"
PROTOBUF_CONTENT = "application/x-protobuf"
T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)


class Transport:
    """The client's single connection pool, its retry layers and its session identity."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        holder: HolderPolicy | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.retry = retry or RetryPolicy()
        self.holder = holder or HolderPolicy()
        self.billing = BillingPause(self.clock)
        self.credential = settings.api_key  # replaced by a JWT in JWT mode (§12)
        self.session_id: str | None = None  # stamped on every error once a session exists

        def open_client() -> httpx.AsyncClient:
            return httpx.AsyncClient(
                base_url=settings.base_url,
                headers=settings.default_headers(),
                timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
                follow_redirects=True,
                transport=http_transport,
            )

        self._connections = Connections(open_client, renewable=http_transport is None)

    async def aclose(self) -> None:
        await self._connections.aclose()

    async def call(
        self,
        endpoint: str,
        *,
        path_params: Mapping[str, str] | None = None,
        body: WireModel | Mapping[str, Any] | None = None,
        content: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        holder_retries: bool | None = None,
    ) -> httpx.Response:
        """One logical call to the catalogue endpoint named ``endpoint``; returns its 2xx answer.

        ``body`` is sent as JSON, ``content`` as is (set its ``Content-Type`` in ``headers``). The
        holder layer applies when the endpoint's policy says so, unless ``holder_retries`` overrides it.
        ``idempotency_key`` pins one key across holder attempts too (otherwise each gets a new one).
        """
        send = partial(self._send, endpoint, path_params, body, content, params, headers, idempotency_key)
        use_holder = call_policy(endpoint).holder_retries if holder_retries is None else holder_retries
        return await (self.with_holder_retries(send) if use_holder else send())

    async def _send(
        self,
        endpoint: str,
        path_params: Mapping[str, str] | None,
        body: WireModel | Mapping[str, Any] | None,
        content: bytes | None,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None,
        idempotency_key: str | None,
    ) -> httpx.Response:
        """The transport layer: one request, re-sent on connection errors and retryable statuses."""
        ep = endpoint_named(endpoint)
        policy = call_policy(endpoint)
        path = ep.path.format(**(path_params or {}))
        if body is not None:
            wire = body.to_wire() if isinstance(body, WireModel) else dict(body)
            content = json.dumps(wire).encode()
        fixed: dict[str, str] = {"X-API-Key": self.credential}
        if ep.method != "GET":
            fixed["Content-Type"] = JSON_CONTENT
            fixed["X-Idempotency-Key"] = idempotency_key or f"reference-client-retry-{uuid.uuid4()}"
        if (method_name := current_api_method()) is not None:
            fixed["x-sdk-method"] = method_name
        fixed.update(headers or {})
        max_retries = self.retry.max_retries if policy.max_retries is None else policy.max_retries
        timeout = policy.timeout or self.settings.timeout
        for attempt in range(max_retries + 1):
            request = self._connections.build_request(
                ep.method,
                path,
                content=content,
                params=params,
                headers={**fixed, "x-stainless-retry-count": str(attempt)},
                timeout=httpx.Timeout(timeout, connect=self.settings.connect_timeout),
            )
            try:
                response = await self._connections.send(request)
            except httpx.TransportError as exc:
                if attempt < max_retries:
                    await self.clock.sleep(self.retry.delay(attempt))
                    continue
                raise ConnectionFailed(
                    f"no response from the server ({type(exc).__name__}: {exc})",
                    method=ep.method,
                    path=path,
                    session_id=self.session_id,
                ) from exc
            if response.is_success:
                self._connections.note_success()
                return response
            if attempt < max_retries and should_retry(response):
                await self.clock.sleep(self.retry.delay(attempt, response.headers))
                continue
            if is_proxy_reject(response):
                await self._connections.renew()
                if self._connections.take_reject():
                    raise ConnectionFailed(
                        "an empty-bodied 400: a proxy refused the request; new connections are open (§1.1)",
                        method=ep.method,
                        path=path,
                        status=400,
                        request_id=response.headers.get("x-request-id"),
                        session_id=self.session_id,
                    )
            raise self.status_error(response)
        raise AssertionError("unreachable: the loop returns or raises")

    def status_error(self, response: httpx.Response) -> APIStatusError:
        """The typed error for a non-2xx answer, carrying the server's JSON error body."""
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        detail = body.get("detail") if isinstance(body, dict) else None
        status = response.status_code
        return status_error_class(status)(
            f"HTTP {status} {response.reason_phrase}: {detail or str(body)[:500] or '(empty body)'}",
            body=body,
            method=response.request.method,
            path=response.request.url.path,
            status=status,
            request_id=response.headers.get("x-request-id"),
            session_id=self.session_id,
        )

    async def with_holder_retries(self, send: Callable[[], Awaitable[T]]) -> T:
        """Re-run ``send`` on retryable failures for up to ``holder.window`` seconds (§3.2)."""
        start = self.clock.now()
        attempt = 0
        while True:
            try:
                return await send()
            except APIStatusError as exc:
                if exc.status == 402 and self.billing.should_pause():
                    await self.clock.sleep(self.holder.billing_pause_step)
                    continue
                if exc.status is None or not holder_retryable_status(exc.status):
                    raise
                failure: Exception = exc
            except ConnectionFailed as exc:
                failure = exc
            remaining = start + self.holder.window - self.clock.now()
            if remaining <= 0:
                raise failure
            await self.clock.sleep(min(self.holder.backoff(attempt), remaining))
            attempt += 1

    def parse(self, response: httpx.Response, model: type[M]) -> M:
        """Validate a JSON answer against a contract model; see :func:`parse_model`."""
        return parse_model(response, model, session_id=self.session_id)


def parse_model(response: httpx.Response, model: type[M], *, session_id: str | None = None) -> M:
    """Validate a JSON answer against a contract model; anything else is a :class:`ProtocolError`."""
    try:
        return model.model_validate_json(response.content)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(body)'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ProtocolError(
            f"the answer is not a valid {model.__name__}: {problems}",
            method=response.request.method,
            path=response.request.url.path,
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
            session_id=session_id,
        ) from None
