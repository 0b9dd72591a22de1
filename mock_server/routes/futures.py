"""Polling futures (protocol reference §6.2, §6.3, §6.5, §9.4).

``retrieve_future`` long-polls: it holds the request until the future settles or the long-poll
deadline passes on the server clock (answering ``try_again`` with a queue state), so the SDK, which
never sleeps between polls, does not spin. Results are negotiated on ``Accept``: protobuf for
forward/backward and sample results when the poll accepts it, JSON otherwise. A large result is
announced first with ``complete_metadata`` when the poll allows it. ``retrieve_futures`` serves a
sampler's completions by cursor, and ``cancel_future`` abandons a future (later polls get 410).
"""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse, Response

from tinker_harness.contracts._futures import (
    CancelFutureRequest,
    CompleteMetadataResponse,
    FutureFailed,
    FutureFinished,
    FutureRetrieveRequest,
    FuturesRetrieveRequest,
    FuturesRetrieveResponse,
    RequestFailedResponse,
    TryAgainResponse,
)
from tinker_harness.mock_server.calls import Call, empty_ok, handles, ok
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.faults.plan import CompleteMetadata, ExpireFuture, FailFuture, TryAgain
from tinker_harness.mock_server.futures import FutureRecord, FutureState, FutureStore, RequestFailure

PROTOBUF = "application/x-protobuf"


def _gone(record: FutureRecord) -> ApiError:
    why = "was cancelled" if record.state is FutureState.CANCELLED else "has expired"
    return ApiError(410, "future-gone", f"promise for request {record.request_id!r} {why}; submit the request again")


def _settled_answer(call: Call, record: FutureRecord, allow_metadata_only: bool) -> Response:
    if record.state in (FutureState.EXPIRED, FutureState.CANCELLED):
        raise _gone(record)
    if record.state is FutureState.FAILED:
        assert record.failure is not None
        return ok(RequestFailedResponse(error=record.failure.message, category=record.failure.category))
    assert record.result is not None
    result = record.result
    wants_proto = result.proto_body is not None and PROTOBUF in (call.header("accept") or "")
    size = (
        len(result.proto_body)
        if wants_proto and result.proto_body is not None
        else len(JSONResponse(result.json_body).body)
    )
    if allow_metadata_only and not record.metadata_sent and size > call.server.config.metadata_only_threshold_bytes:
        record.metadata_sent = True
        return ok(CompleteMetadataResponse(status="complete_metadata", response_payload_size=size))
    if wants_proto and result.proto_body is not None:
        return Response(result.proto_body, media_type=PROTOBUF)
    return JSONResponse(result.json_body)


@handles("retrieve_future")
async def retrieve_future(call: Call) -> Response:
    body = call.parse(FutureRetrieveRequest)
    server = call.server
    record = server.state.futures.get(body.request_id, call.owner)
    call.session_id = record.session_id
    call.exchange.future_origin = record.extra.get("origin")
    call.exchange.future_request_id = record.request_id
    record.polls += 1
    decision = call.exchange.fault_decision
    if decision is not None and decision.rule.action is not None:
        return await _injected_answer(call, record, decision.rule.action)
    ttl = server.config.future_ttl_seconds
    if record.completed_at is not None and record.completed_at + ttl <= server.clock.now() and record.is_done:
        if record.state not in (FutureState.EXPIRED, FutureState.CANCELLED):
            record.transition(FutureState.EXPIRED)
    if not record.is_done:
        await server.clock.wait_event(
            record.done, server.config.long_poll_timeout, real_cap=server.config.long_poll_real_cap
        )
    if not record.is_done:
        return ok(TryAgainResponse(type="try_again", request_id=record.request_id, queue_state="active"))
    return _settled_answer(call, record, body.allow_metadata_only)


async def _injected_answer(call: Call, record: FutureRecord, action: object) -> Response:
    """A poll answered by a fault plan (try_again, complete_metadata, expire, fail)."""
    server = call.server
    if isinstance(action, TryAgain):
        if action.seconds is not None:  # a pause with a duration is long-polled like a real one
            hold = min(action.seconds, server.config.long_poll_timeout)
            await server.clock.wait_event(asyncio.Event(), hold, real_cap=server.config.long_poll_real_cap)
        return ok(
            TryAgainResponse(
                type="try_again",
                request_id=record.request_id,
                queue_state=action.queue_state,
                queue_state_reason=action.reason,
            )
        )
    if isinstance(action, CompleteMetadata):
        size = action.response_payload_size
        if size is None:
            size = record.result.size if record.result is not None else 1024
        return ok(CompleteMetadataResponse(status="complete_metadata", response_payload_size=size))
    if isinstance(action, ExpireFuture):
        if record.state not in (FutureState.EXPIRED, FutureState.CANCELLED):
            record.transition(FutureState.EXPIRED)
        raise _gone(record)
    if isinstance(action, FailFuture):
        if not record.is_done:
            FutureStore.fail(record, RequestFailure(action.error, action.category), server.clock.now())
        return ok(RequestFailedResponse(error=action.error, category=action.category))
    raise ApiError(500, "unknown-fault-action", f"fault action {action!r} does not apply to retrieve_future")


@handles("retrieve_futures")
async def retrieve_futures(call: Call) -> Response:
    body = call.parse(FuturesRetrieveRequest)
    server = call.server
    sampler = server.state.sampler(body.target.sampling_session_id, call.owner)
    call.session_id = sampler.session_id
    log = sampler.completions
    log.acknowledge(body.retrieved_request_ids)
    if body.timeout != 0 and log.cursor <= body.prev_cursor:
        timeout = (
            server.config.long_poll_timeout
            if body.timeout is None
            else min(body.timeout, server.config.long_poll_timeout)
        )
        await server.clock.wait_event(log.changed(), timeout, real_cap=server.config.long_poll_real_cap)
    completions: list[FutureFinished | FutureFailed] = []
    for entry in log.since(body.prev_cursor, body.target.cloned_sampler_id):
        if entry.failed:
            completions.append(FutureFailed(state="failed", request_id=entry.request_id))
        else:
            completions.append(
                FutureFinished(
                    state="finished", request_id=entry.request_id, response_payload_uncompressed_size=entry.size
                )
            )
    return ok(FuturesRetrieveResponse(completions=completions, cursor=log.cursor))


@handles("cancel_future")
async def cancel_future(call: Call) -> Response:
    body = call.parse(CancelFutureRequest)
    record = call.server.state.futures.get(body.request_id, call.owner)
    call.session_id = record.session_id
    if not record.is_done:
        record.transition(FutureState.CANCELLED)
    return empty_ok()
