"""Applying a fired fault to a call (protocol reference §6.3, §15.3).

Before the handler runs: the latency (on the server clock), then an HTTP status answer or a broken
connection replaces the handler entirely. Poll-level actions (``try_again``, ``complete_metadata``,
``expire``, ``fail`` on ``retrieve_future``) are handed to the retrieve_future handler through the
call. ``fail`` on a submit endpoint lets the submit succeed and then fails the future it created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from tinker_harness.contracts.request_json import load_json
from tinker_harness.mock_server.calls import Call
from tinker_harness.mock_server.connections import break_connection, transport_of
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.faults.engine import CallFacts, Decision
from tinker_harness.mock_server.faults.plan import FailFuture, StatusFault, TransportFault
from tinker_harness.mock_server.futures import FutureStore, RequestFailure
from tinker_harness.mock_server.generations import sdk_version_of

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["after_handler", "before_handler", "call_facts"]
_SESSION_KEYS = ("session_id", "sampling_session_id", "model_id")


def _session_hint(server: MockServer, call: Call) -> str | None:
    """The session a call belongs to, from its path or body (polls also note the polled future)."""
    if "session_id" in call.path_params:
        return call.path_params["session_id"]
    body: Any = None
    if call.body and call.endpoint.request_encoding == "json":
        try:
            body = load_json(call.body)
        except ValueError:
            body = None
    if isinstance(body, dict):
        if isinstance(body.get("request_id"), str):  # a poll: journal it under the polled future even if faulted
            call.exchange.future_request_id = body["request_id"]
            record = server.state.futures.find(body["request_id"])
            if record is not None:
                call.exchange.future_origin = record.extra.get("origin")
            return record.session_id if record is not None else None
        for key in _SESSION_KEYS:
            value = body.get(key)
            if isinstance(value, str):
                return value.split(":", 1)[0]
    return None


def call_facts(server: MockServer, call: Call) -> CallFacts:
    headers = call.request.headers
    return CallFacts(
        endpoint=call.endpoint.name,
        method=call.endpoint.method,
        path=call.request.url.path,
        request_type=headers.get("x-tinker-request-type"),
        session_id=_session_hint(server, call),
        sdk_version=sdk_version_of(headers),
    )


def _status_answer(action: StatusFault) -> Response:
    if action.empty_body:
        return Response(b"", status_code=action.status, headers=action.headers)
    body = action.body if action.body is not None else {"detail": f"injected fault: HTTP {action.status}"}
    if isinstance(body, str):
        return Response(body, status_code=action.status, headers=action.headers, media_type="text/plain")
    return JSONResponse(body, status_code=action.status, headers=action.headers)


async def before_handler(server: MockServer, call: Call, decision: Decision) -> Response | None:
    """Wait out the latency; answer instead of the handler, or leave a note for it (None)."""
    if decision.latency:
        await server.clock.sleep(decision.latency)
    action = decision.rule.action
    if isinstance(action, StatusFault):
        return _status_answer(action)
    if isinstance(action, TransportFault):
        transport = transport_of(call.request.scope)
        if transport is None:
            raise ApiError(
                503,
                "transport-fault-unavailable",
                f"transport fault {action.fault!r} needs a real connection (not an in-process client)",
            )
        break_connection(transport, action.fault, decision.garbage)
        return Response(b"", status_code=204)  # never delivered: the connection is gone
    if action is not None:
        call.exchange.fault_decision = decision
    return None


def after_handler(server: MockServer, call: Call, response: Response) -> None:
    """``fail`` on a submit endpoint: the submit answered a future; fail that future now."""
    decision = call.exchange.fault_decision
    action = decision.rule.action if decision is not None else None
    if not isinstance(action, FailFuture) or call.endpoint.name == "retrieve_future":
        return
    request_id = call.exchange.future_request_id
    record = server.state.futures.find(request_id) if isinstance(request_id, str) else None
    if record is not None and not record.is_done and response.status_code < 300:
        FutureStore.fail(record, RequestFailure(action.error, action.category), server.clock.now())
