"""Faults on submit endpoints, ``asample`` and heartbeats against the reference client (protocol reference §1.1,
§3, §4.3, §9.3, §15.3).

The twin of tests/faults/test_submit_faults.py: one test per row and column of the status-code
cheat sheet, the same wire expectations from the journal (statuses, idempotency keys, retry counts,
seq_ids), plus the client's typed errors and the exact waits it took (``clock.sleeps``).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from client_clocks import ManualClock
from refclient_fault_rig import RefRig
from refclient_support import BASE_MODEL, wait_until

from tinker_harness.contracts import AdamParams, OptimStepResponse, SamplingParams
from tinker_harness.mock_server.assertions import assert_requests_in_order
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.reference_client import (
    APIStatusError,
    AuthenticationFailed,
    BadRequest,
    Gone,
    NotFound,
    PermissionDenied,
    ReferenceClient,
    UnprocessableEntity,
)

OPTIM = {"endpoint": "optim_step"}
ASAMPLE = {"endpoint": "asample"}
PROMPT = [300, 362, 262]
PARAMS = SamplingParams(max_tokens=3, seed=5)


def _optim(rig: RefRig) -> OptimStepResponse:
    return rig.training.optim_step(AdamParams(learning_rate=1e-3)).result()


def _keys(entries: list[JournalEntry]) -> list[str]:
    return [e.request_headers["x-idempotency-key"] for e in entries]


def _retry_counts(entries: list[JournalEntry]) -> list[str]:
    return [e.request_headers["x-stainless-retry-count"] for e in entries]


def test_empty_400_is_a_proxy_reject_retried_on_a_new_connection(faults: RefRig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": {"status": 400, "empty_body": True}}})
    _optim(faults)
    submits = faults.entries("optim_step")
    assert [e.status for e in submits] == [400, 200]
    assert submits[0].response_headers["content-length"] == "0"
    # A connection error for the holder layer: a new call (new key, retry count 0) after its 1 s backoff.
    key, again = _keys(submits)
    assert key != again and _retry_counts(submits) == ["0", "0"]
    assert faults.clock.sleeps == [1.0]


def test_400_with_a_body_raises_bad_request(faults: RefRig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": {"status": 400, "body": {"detail": "bad lr"}}}})
    with pytest.raises(BadRequest) as caught:
        _optim(faults)
    (submit,) = faults.entries("optim_step")
    assert submit.status == 400
    assert (caught.value.status, caught.value.detail) == (400, "bad lr")
    assert caught.value.request_id == submit.http_request_id and faults.clock.sleeps == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationFailed), (403, PermissionDenied), (404, NotFound), (422, UnprocessableEntity)],
)
def test_client_errors_raise_their_exception_without_retry(
    faults: RefRig, status: int, error: type[APIStatusError]
) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": status}})
    with pytest.raises(error) as caught:
        _optim(faults)
    assert caught.value.status == status and caught.value.path == "/api/v1/optim_step"
    assert [e.status for e in faults.entries("optim_step")] == [status]
    assert faults.clock.sleeps == []


@pytest.mark.parametrize("status", [408, 409, 500, 503])
def test_retryable_statuses_are_retried_with_the_same_idempotency_key(faults: RefRig, status: int) -> None:
    faults.plan(
        {"match": OPTIM, "times": 1, "action": {"status": {"status": status, "headers": {"retry-after-ms": "20"}}}}
    )
    _optim(faults)
    first, second = submits = faults.entries("optim_step")
    assert (first.status, second.status) == (status, 200)
    assert first.request_headers["x-idempotency-key"] == second.request_headers["x-idempotency-key"]
    assert _retry_counts(submits) == ["0", "1"]
    assert faults.clock.sleeps == [0.02]  # Retry-After-Ms honoured


def test_429_honours_retry_after(faults: RefRig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": {"status": 429, "headers": {"retry-after": "1"}}}})
    _optim(faults)
    assert faults.clock.sleeps == [1.0]
    assert [e.status for e in faults.entries("optim_step")] == [429, 200]


def test_x_should_retry_false_leaves_the_retry_to_the_holder_layer(faults: RefRig) -> None:
    faults.plan(
        {"match": OPTIM, "times": 1, "action": {"status": {"status": 503, "headers": {"x-should-retry": "false"}}}}
    )
    _optim(faults)
    first, second = submits = faults.entries("optim_step")
    assert (first.status, second.status) == (503, 200)
    # not a transport-level retry (that would reuse the key): the holder retried with a fresh call
    assert first.request_headers["x-idempotency-key"] != second.request_headers["x-idempotency-key"]
    assert _retry_counts(submits) == ["0", "0"]
    assert faults.clock.sleeps == [1.0]  # the holder's min(2**0, 30) s


def test_410_on_a_submit_is_not_retried(faults: RefRig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": 410}})
    with pytest.raises(Gone) as caught:
        _optim(faults)
    assert caught.value.status == 410
    assert [e.status for e in faults.entries("optim_step")] == [410]


def test_402_on_a_submit_pauses_silently_then_succeeds(faults: RefRig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": 402}})
    _optim(faults)
    assert faults.clock.sleeps == [5.0]  # the holder's billing pause
    submits = faults.entries("optim_step")
    assert [e.status for e in submits] == [402, 200]
    assert submits[0].request_body["seq_id"] == submits[1].request_body["seq_id"], "the same request, resent"


@pytest.mark.parametrize("fault", ["reset", "empty_response", "garbage"])
def test_broken_connections_on_a_submit_are_retried(faults: RefRig, fault: str) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"transport": fault}})
    _optim(faults)
    submits = faults.entries("optim_step")
    assert submits[0].fault is not None and submits[-1].status == 200 and len(submits) == 2
    assert len(set(_keys(submits))) == 1 and _retry_counts(submits) == ["0", "1"]  # a transport-layer retry
    assert faults.clock.sleeps == [0.5]


def test_asample_429_is_backpressure_resubmitting_the_same_seq_id(faults: RefRig) -> None:
    faults.plan({"match": ASAMPLE, "times": 1, "action": {"status": 429}})
    faults.sampling.sample(PROMPT, 1, PARAMS).result()
    assert faults.clock.sleeps == [1.0]  # 1 s backoff for a small prompt
    first, second = faults.entries("asample")
    assert (first.status, second.status) == (429, 200)
    assert first.request_body["seq_id"] == second.request_body["seq_id"]
    assert second.request_headers["x-tinker-sampling-backpressure"] == "1"


@pytest.mark.parametrize("status", [408, 500, 503])
def test_asample_transient_errors_are_retried(faults: RefRig, status: int) -> None:
    faults.plan(
        {"match": ASAMPLE, "times": 1, "action": {"status": {"status": status, "headers": {"retry-after-ms": "1"}}}}
    )
    response = faults.sampling.sample(PROMPT, 2, PARAMS).result()
    assert len(response.sequences) == 2
    first, second = submits = faults.entries("asample")
    assert (first.status, second.status) == (status, 200)
    # /asample has no transport retries: the holder layer resends the same request as a new call.
    assert first.request_body == second.request_body and len(set(_keys(submits))) == 2
    assert faults.clock.sleeps == [1.0]


def test_asample_400_raises(faults: RefRig) -> None:
    faults.plan({"match": ASAMPLE, "times": 1, "action": {"status": {"status": 400, "body": {"detail": "bad prompt"}}}})
    with pytest.raises(BadRequest) as caught:
        faults.sampling.sample(PROMPT, 1, PARAMS).result()
    assert caught.value.detail == "bad prompt" and caught.value.path == "/api/v1/asample"
    assert [e.status for e in faults.entries("asample")] == [400]


def test_latency_holds_the_answer_until_the_clock_passes_it(faults: RefRig) -> None:
    faults.plan({"match": {"endpoint": "get_info"}, "times": 1, "latency": {"fixed": 30}})
    assert faults.client.rest.get_server_capabilities().supported_models  # not faulted: answers at once
    with ThreadPoolExecutor(1) as pool:
        request = pool.submit(faults.client.create_lora_training_client, BASE_MODEL, 2)
        time.sleep(0.3)
        assert not request.done()  # get_info is held by 30 s of latency on the frozen server clock
        faults.mock.clock.advance(30)
        assert request.result(timeout=10).model_id.endswith(":train:1")
    assert faults.entries("get_info")[0].fault is not None and faults.clock.sleeps == []


def test_heartbeat_410_stops_the_heartbeat_loop(faults: RefRig) -> None:
    faults.plan({"match": {"endpoint": "session_heartbeat"}, "action": {"status": 410}})
    clock = ManualClock()
    with ReferenceClient(faults.mock.base_url, faults.mock.api_key, clock=clock) as client:
        heartbeat = client.heartbeat
        assert heartbeat is not None
        wait_until(lambda: clock.sleepers == 1)
        clock.advance(10.0)
        wait_until(lambda: not heartbeat.running)
        assert heartbeat.stopped_by_server and heartbeat.failures == 0 and heartbeat.beats == 0
        clock.advance(100.0)  # ten more intervals: a live loop would have beaten again
        session_id = client.session_id
    beats = [e for e in faults.entries("session_heartbeat") if e.session_id == session_id]
    assert [b.status for b in beats] == [410] and clock.sleeps == [10.0]
    assert_requests_in_order(faults.entries(), "create_session", "session_heartbeat", "finish_session")
