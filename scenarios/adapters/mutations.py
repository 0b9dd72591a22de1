"""Deliberate defects for the reference client, to prove the scenario suite catches broken ports.

Each :class:`Mutation` breaks one protocol rule at the HTTP layer: the reference client is built
with an ``httpx`` transport (its public ``http_transport`` argument) that rewrites what the client
sends, or what it receives before the client's logic sees it, so the client then behaves like a
port with that bug (a 409 poll answer seen as a 408 is a client that re-polls on 409). The
mutation test runs the suite against ``python -m tinker_harness.scenarios.adapters.reference_client --mutation
NAME`` and expects at least one scenario to fail for every mutation. Nothing else uses this.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tinker_harness.contracts.proto import tinker_public_pb2 as pb

__all__ = ["MUTATIONS", "Mutation", "MutatingTransport"]

OnRequest = Callable[[httpx.Request], httpx.Request | httpx.Response]
OnResponse = Callable[[httpx.Request, httpx.Response], httpx.Response]
_TRAINING_JSON = ("/optim_step", "/save_weights", "/save_weights_for_sampler", "/save_weights_external")


def _keep_request(request: httpx.Request) -> httpx.Request | httpx.Response:
    return request


def _keep_response(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    return response


class MutatingTransport(httpx.AsyncBaseTransport):
    """An ``httpx`` transport that rewrites requests before sending and responses before returning."""

    def __init__(self, on_request: OnRequest, on_response: OnResponse) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._on_request = on_request
        self._on_response = on_response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        changed = self._on_request(request)
        if isinstance(changed, httpx.Response):
            return changed
        response = await self._inner.handle_async_request(changed)
        if self._on_response is _keep_response:
            return response
        await response.aread()
        return self._on_response(changed, response)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass(frozen=True)
class Mutation:
    name: str
    rule: str  # the protocol rule it breaks, with its section
    on_request: OnRequest = _keep_request
    on_response: OnResponse = _keep_response

    def transport(self) -> MutatingTransport:
        return MutatingTransport(self.on_request, self.on_response)


def _rebuild(
    request: httpx.Request,
    *,
    path: str | None = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Request:
    """A copy of ``request`` with a new URL path, body or headers (Content-Length recomputed)."""
    replaced = {k.lower() for k in headers or {}} | {"content-length"}
    merged = {k: v for k, v in request.headers.items() if k.lower() not in replaced}
    merged.update(headers or {})
    target = request.url.copy_with(path=path) if path is not None else request.url
    body = request.content if content is None else content
    return httpx.Request(request.method, target, headers=merged, content=body, extensions=request.extensions)


def _answer(status: int, response: httpx.Response, body: Any = None) -> httpx.Response:
    """``response`` turned into another status (JSON body), as if the server had said so."""
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    content = json.dumps(body if body is not None else {"detail": "mutated"}).encode()
    headers["content-type"] = "application/json"
    return httpx.Response(status, headers=headers, content=content, request=response.request)


def _json_body(request: httpx.Request) -> dict[str, Any] | None:
    if "json" not in request.headers.get("content-type", "") or not request.content:
        return None
    body = json.loads(request.content)
    return body if isinstance(body, dict) else None


def _is(request: httpx.Request, *suffixes: str) -> bool:
    return request.url.path.endswith(suffixes)


# --- request rewrites ----------------------------------------------------------------------------


def _heartbeat_path(request: httpx.Request) -> httpx.Request | httpx.Response:
    if _is(request, "/session_heartbeat"):
        return _rebuild(request, path=request.url.path.replace("/session_heartbeat", "/heartbeat"))
    return request


def _renamed_field(request: httpx.Request) -> httpx.Request | httpx.Response:
    body = _json_body(request)
    if body is not None and _is(request, "/optim_step") and "adam_params" in body:
        body["adam"] = body.pop("adam_params")
        return _rebuild(request, content=json.dumps(body).encode())
    return request


def _key_per_attempt(request: httpx.Request) -> httpx.Request | httpx.Response:
    if request.headers.get("x-stainless-retry-count", "0") != "0" and "x-idempotency-key" in request.headers:
        return _rebuild(request, headers={"X-Idempotency-Key": f"reference-client-retry-{uuid.uuid4()}"})
    return request


def _seq_id_off_by_one(request: httpx.Request) -> httpx.Request | httpx.Response:
    if _is(request, "/forward_backward", "/forward") and "protobuf" in request.headers.get("content-type", ""):
        message = pb.ForwardBackwardRequest.FromString(request.content)
        message.seq_id -= 1
        return _rebuild(request, content=message.SerializeToString())
    body = _json_body(request)
    if body is not None and _is(request, *_TRAINING_JSON) and isinstance(body.get("seq_id"), int):
        body["seq_id"] -= 1
        return _rebuild(request, content=json.dumps(body).encode())
    return request


def _accept_json_only(request: httpx.Request) -> httpx.Request | httpx.Response:
    if _is(request, "/retrieve_future"):
        return _rebuild(request, headers={"Accept": "application/json"})
    return request


def _wrong_finish_reason(request: httpx.Request) -> httpx.Request | httpx.Response:
    body = _json_body(request)
    if body is not None and _is(request, "/finish"):
        return _rebuild(request, content=json.dumps({**body, "reason": {"type": "errored"}}).encode())
    return request


def _skip_dynamic_config(request: httpx.Request) -> httpx.Request | httpx.Response:
    if _is(request, "/client/dynamic_config"):
        return httpx.Response(404, json={"detail": "not sent (mutation)"}, request=request)
    return request


def _api_key_as_bearer(request: httpx.Request) -> httpx.Request | httpx.Response:
    key = request.headers.get("x-api-key")
    if key is None:
        return request
    headers = {k: v for k, v in request.headers.items() if k.lower() != "x-api-key"}
    headers["Authorization"] = f"Bearer {key}"
    return httpx.Request(request.method, request.url, headers=headers, content=request.content)


def _request_type_dropped(request: httpx.Request) -> httpx.Request | httpx.Response:
    if "x-tinker-request-type" not in request.headers:
        return request
    headers = {k: v for k, v in request.headers.items() if k.lower() != "x-tinker-request-type"}
    return httpx.Request(request.method, request.url, headers=headers, content=request.content)


def _new_sample_seq_ids() -> OnRequest:
    seen: set[int] = set()

    def rewrite(request: httpx.Request) -> httpx.Request | httpx.Response:
        body = _json_body(request)
        if body is None or not _is(request, "/asample") or not isinstance(body.get("seq_id"), int):
            return request
        if body["seq_id"] in seen:  # a resubmission: the defect gives it a fresh seq_id
            body["seq_id"] += 1000
            return _rebuild(request, content=json.dumps(body).encode())
        seen.add(body["seq_id"])
        return request

    return rewrite


# --- response rewrites ---------------------------------------------------------------------------


def _poll_status_as(old: int, new: int) -> OnResponse:
    def rewrite(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if _is(request, "/retrieve_future") and response.status_code == old:
            return _answer(new, response, {"type": "try_again", "request_id": "mutated", "queue_state": "active"})
        return response

    return rewrite


def _heartbeat_410_as_500(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if _is(request, "/session_heartbeat") and response.status_code == 410:
        return _answer(500, response)
    return response


def _submit_5xx_as_400(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if response.status_code >= 500 and not _is(request, "/retrieve_future", "/session_heartbeat"):
        return _answer(400, response, {"detail": "mutated: a 5xx surfaced as a 400"})
    return response


def _retry_after_dropped(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    names = [k for k in response.headers if k.lower() in ("retry-after", "retry-after-ms")]
    for name in names:
        del response.headers[name]
    return response


def _no_poll_for_expired(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if _is(request, "/retrieve_future") and response.status_code == 410:
        return _answer(404, response)
    return response


MUTATIONS: dict[str, Mutation] = {
    m.name: m
    for m in (
        Mutation("heartbeat-path-changed", "heartbeats go to /api/v1/session_heartbeat (§4.3)", _heartbeat_path),
        Mutation("request-field-renamed", "optim_step sends adam_params (§5.1)", _renamed_field),
        Mutation("idempotency-key-per-attempt", "one X-Idempotency-Key across retries (§2.1, §3.1)", _key_per_attempt),
        Mutation("seq-id-off-by-one", "training seq_ids start at 1 (§8.2, §16.9)", _seq_id_off_by_one),
        Mutation("accept-without-protobuf", "polls accept application/x-protobuf (§2.1, §6.2)", _accept_json_only),
        Mutation("finish-reason-wrong", "close('success') finishes with reason success (§4.4)", _wrong_finish_reason),
        Mutation("dynamic-config-skipped", "bootstrap fetches /client/dynamic_config (§4.1)", _skip_dynamic_config),
        Mutation("api-key-as-bearer", "the key travels in X-API-Key (§2.1, §12, §16.3)", _api_key_as_bearer),
        Mutation("request-type-dropped", "polls carry X-Tinker-Request-Type (§2.1)", _request_type_dropped),
        Mutation("sample-429-new-seq-id", "asample 429 resubmits the same seq_id (§9.3, §15.3)", _new_sample_seq_ids()),
        Mutation(
            "poll-backoff-removed",
            "429 on retrieve_future backs off min(2^n, 30) s (§6.3)",
            on_response=_poll_status_as(429, 408),
        ),
        Mutation("poll-409-retried", "409 on retrieve_future is fatal (§6.3)", on_response=_poll_status_as(409, 408)),
        Mutation("heartbeat-survives-410", "the heartbeat stops on 410 (§4.3)", on_response=_heartbeat_410_as_500),
        Mutation("submit-5xx-not-retried", "5xx on submit endpoints is retried (§3.1)", on_response=_submit_5xx_as_400),
        Mutation("retry-after-ignored", "Retry-After is honoured (§3.1, §16.12)", on_response=_retry_after_dropped),
        Mutation(
            "no-410-resubmit",
            "a sample whose promise expired is resubmitted (§6.3, §9.3)",
            on_response=_no_poll_for_expired,
        ),
    )
}
