"""Faults on ``retrieve_future`` polls against the reference client (protocol reference §6.2-§6.4, §15.3).

The twin of tests/faults/test_poll_faults.py: the same fault plans, the same wire expectations from
the journal, plus what only this client exposes — its typed errors, its queue observer, and every
wait it took (``clock.sleeps``: the SDK's real sleeps are virtual here).
"""

from __future__ import annotations

import threading

import pytest
from refclient_fault_rig import RefRig
from refclient_support import datum

from tinker_harness.contracts import AdamParams, OptimStepResponse, SamplingParams
from tinker_harness.mock_server.assertions import polls_of
from tinker_harness.reference_client import FutureExpired, FuturePollFailed, RequestFailed

OPTIM_POLLS = {"endpoint": "retrieve_future", "request_type": "OptimStep"}
SAMPLE_POLLS = {"endpoint": "retrieve_future", "request_type": "Sample"}
PROMPT = [300, 362, 262]
PARAMS = SamplingParams(max_tokens=3, seed=11)


def _optim(rig: RefRig) -> OptimStepResponse:
    return rig.training.optim_step(AdamParams(learning_rate=1e-3)).result()


def _only_future(rig: RefRig, endpoint: str) -> str:
    submits = [e for e in rig.entries(endpoint) if e.status == 200]
    assert len(submits) == 1, [e.describe() for e in submits]
    assert submits[0].future_request_id is not None
    return submits[0].future_request_id


def test_408_repolls_at_once_and_reports_the_queue_state(faults: RefRig) -> None:
    body = {"queue_state": "paused_capacity", "queue_state_reason": "mock capacity drill"}
    sampler = faults.fresh_sampler()
    faults.plan({"match": SAMPLE_POLLS, "times": 2, "action": {"status": {"status": 408, "body": body}}})
    response = sampler.sample(PROMPT, 1, PARAMS).result()
    assert len(response.sequences) == 1
    future_id = _only_future(faults, "asample")
    polls = polls_of(faults.entries(), future_id)
    assert [p.status for p in polls] == [408, 408, 200]
    assert [p.request_headers["x-tinker-request-iteration"] for p in polls] == ["0", "1", "2"]
    assert faults.clock.sleeps == []  # no wait between polls
    heard = [(c.future_id, c.request_type, c.queue_state, c.reason) for c in faults.changes]
    paused = (future_id, "Sample", "paused_capacity", "mock capacity drill")
    assert heard == [paused, paused, (future_id, "Sample", "active", None)]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_repolls_at_once(faults: RefRig, status: int) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 2, "action": {"status": status}})
    _optim(faults)
    polls = polls_of(faults.entries(), _only_future(faults, "optim_step"))
    assert [p.status for p in polls] == [status, status, 200]
    assert faults.clock.sleeps == []


def test_429_backs_off_before_repolling(faults: RefRig) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"status": 429}})
    _optim(faults)
    assert faults.clock.sleeps == [1.0]  # min(2**0, 30) s
    assert [p.status for p in polls_of(faults.entries(), _only_future(faults, "optim_step"))] == [429, 200]


def test_410_on_a_training_future_surfaces_to_the_user(faults: RefRig) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"expire": {}}})
    with pytest.raises(FutureExpired) as caught:
        _optim(faults)
    future_id = _only_future(faults, "optim_step")
    (poll,) = faults.entries("retrieve_future")
    assert poll.status == 410
    error = caught.value
    assert (error.future_id, error.status, error.path) == (future_id, 410, "/api/v1/retrieve_future")
    assert error.request_id == poll.http_request_id
    _optim(faults)  # the client is not poisoned: the next step gets the next seq_id
    seq_ids = [e.request_body["seq_id"] for e in faults.entries("optim_step")]
    assert seq_ids[1] == seq_ids[0] + 1


def test_410_on_a_sample_resubmits_the_whole_sample_with_a_new_seq_id(faults: RefRig) -> None:
    faults.plan({"match": SAMPLE_POLLS, "times": 1, "action": {"expire": {}}})
    faults.sampling.sample(PROMPT, 1, PARAMS).result()
    submits = faults.entries("asample")
    assert len(submits) == 2
    assert submits[1].request_body["seq_id"] == submits[0].request_body["seq_id"] + 1
    assert [p.status for p in faults.entries("retrieve_future")] == [410, 200]
    assert faults.clock.sleeps == [0.5]  # the retry handler's first backoff before resubmitting


def test_paused_capacity_for_three_polls_then_410_then_success(faults: RefRig) -> None:
    sampler = faults.fresh_sampler()
    faults.plan(
        {
            "name": "paused",
            "match": SAMPLE_POLLS,
            "times": 3,
            "action": {"try_again": {"queue_state": "paused_capacity", "reason": "drill: capacity"}},
        },
        {"name": "gone", "match": SAMPLE_POLLS, "times": 1, "action": {"expire": {}}},
    )
    sampler.sample(PROMPT, 1, PARAMS).result()
    polls = faults.entries("retrieve_future")
    assert [p.response_body.get("queue_state") if p.status == 200 else p.status for p in polls][:4] == [
        "paused_capacity",
        "paused_capacity",
        "paused_capacity",
        410,
    ]
    first, second = faults.entries("asample")
    assert second.request_body["seq_id"] == first.request_body["seq_id"] + 1
    assert [p.future_request_id for p in polls] == [first.future_request_id] * 4 + [second.future_request_id]
    heard = [(c.future_id, c.queue_state, c.reason) for c in faults.changes]
    paused = (first.future_request_id, "paused_capacity", "drill: capacity")
    assert heard == [paused] * 3 + [(second.future_request_id, "active", None)]
    assert [f.split(":")[0] for f in faults.fired()] == ["rule #0 'paused'"] * 3 + ["rule #1 'gone'"]


def test_paused_rate_limit_then_the_result_still_arrives(faults: RefRig) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 3, "action": {"try_again": {"queue_state": "paused_rate_limit"}}})
    assert _optim(faults).metrics is not None
    polls = polls_of(faults.entries(), _only_future(faults, "optim_step"))
    assert len(polls) == 4 and "metrics" in polls[-1].response_body
    assert [c.queue_state for c in faults.changes] == ["paused_rate_limit"] * 3 + ["active"]
    assert faults.clock.sleeps == []


def test_try_again_for_a_duration_long_polls_on_the_virtual_clock(faults: RefRig) -> None:
    faults.plan({"match": OPTIM_POLLS, "action": {"try_again": {"queue_state": "paused_capacity", "seconds": 60}}})
    future = faults.training.optim_step(AdamParams(learning_rate=1e-3))
    stop = threading.Event()

    def pump() -> None:  # play the part of time: 20 server-clock seconds every 50 ms of real time
        while not stop.wait(0.05):
            faults.mock.clock.advance(20)

    pumper = threading.Thread(target=pump)
    pumper.start()
    try:
        future.result(timeout=30)
    finally:
        stop.set()
        pumper.join()
    polls = faults.entries("retrieve_future")
    paused = [p for p in polls if p.fault]
    assert 2 <= len(paused) <= 4  # each poll is held up to the 20 s long-poll deadline of a 60 s pause
    assert "metrics" in polls[-1].response_body
    assert faults.clock.sleeps == [], "the server held the polls; the client never waited on its own"


@pytest.mark.parametrize(("times", "outcome"), [(2, "success"), (4, "failure")])
def test_400_with_a_body_gets_three_immediate_retries(faults: RefRig, times: int, outcome: str) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": times, "action": {"status": 400}})
    if outcome == "success":
        _optim(faults)
    else:
        with pytest.raises(FuturePollFailed) as caught:
            _optim(faults)
        assert caught.value.status == 400 and caught.value.future_id == _only_future(faults, "optim_step")
    polls = faults.entries("retrieve_future")
    assert [p.status for p in polls] == [400] * min(times, 4) + ([200] if outcome == "success" else [])
    assert faults.clock.sleeps == []


@pytest.mark.parametrize("status", [401, 404, 409, 422])
def test_other_4xx_are_fatal_after_one_poll(faults: RefRig, status: int) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"status": status}})
    with pytest.raises(FuturePollFailed) as caught:
        _optim(faults)
    assert caught.value.status == status and f"HTTP {status}" in str(caught.value)
    assert [p.status for p in faults.entries("retrieve_future")] == [status]


@pytest.mark.parametrize("fault", ["reset", "truncated_body", "empty_response"])
def test_broken_connections_back_off_and_repoll(faults: RefRig, fault: str) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"transport": fault}})
    _optim(faults)
    assert faults.clock.sleeps == [1.0]  # connection errors back off min(2**0, 30) s
    polls = faults.entries("retrieve_future")
    assert len(polls) == 2 and polls[0].fault is not None and "metrics" in polls[-1].response_body


def test_an_empty_400_on_a_poll_is_a_proxy_reject_that_backs_off(faults: RefRig) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"status": {"status": 400, "empty_body": True}}})
    _optim(faults)
    assert faults.clock.sleeps == [1.0]  # a connection error, not one of the three 400 re-polls (§15.3)
    polls = faults.entries("retrieve_future")
    assert [p.status for p in polls] == [400, 200] and polls[0].response_headers["content-length"] == "0"


def test_complete_metadata_makes_the_next_poll_ask_for_the_full_result(faults: RefRig) -> None:
    faults.plan(
        {
            "match": {"endpoint": "retrieve_future", "request_type": "ForwardBackward"},
            "times": 1,
            "action": {"complete_metadata": {"response_payload_size": 4096}},
        }
    )
    out = faults.training.forward_backward([datum("The model saved a checkpoint.")], "cross_entropy").result()
    assert "loss:sum" in out.metrics
    polls = faults.entries("retrieve_future")
    assert polls[0].response_body == {"status": "complete_metadata", "response_payload_size": 4096}
    assert [p.request_body["allow_metadata_only"] for p in polls] == [True, False]
    assert polls[1].response_headers["content-type"] == "application/x-protobuf"


@pytest.mark.parametrize("category", ["user", "server", "unknown"])
def test_failed_results_raise_request_failed_with_the_category(faults: RefRig, category: str) -> None:
    faults.plan(
        {
            "match": {"endpoint": "optim_step"},
            "times": 1,
            "action": {"fail": {"error": "learning rate too high", "category": category}},
        }
    )
    with pytest.raises(RequestFailed) as caught:
        _optim(faults)
    error = caught.value
    assert (error.category, error.error) == (category, "learning rate too high")
    assert error.future_id == _only_future(faults, "optim_step")
    assert faults.entries("retrieve_future")[0].response_body == {
        "error": "learning rate too high",
        "category": category,
    }


def test_402_on_a_poll_pauses_for_billing_then_succeeds(faults: RefRig) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"status": 402}})
    _optim(faults)
    assert faults.clock.sleeps == [5.0]  # the billing pause
    assert [p.status for p in faults.entries("retrieve_future")] == [402, 200]
