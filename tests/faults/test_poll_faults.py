"""Faults on ``retrieve_future`` polls against the official SDK (protocol reference §6.2-§6.4, §15.3).

Each test injects one fault, then checks what the SDK user sees and what crossed the wire.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest
import tinker
from fault_rig import Rig
from sdk_support import datum
from tinker import types

from tinker_harness.mock_server.assertions import polls_of

pytestmark = pytest.mark.sdk

OPTIM_POLLS = {"endpoint": "retrieve_future", "request_type": "OptimStep"}
SAMPLE_POLLS = {"endpoint": "retrieve_future", "request_type": "Sample"}
PROMPT = types.ModelInput.from_ints([300, 362, 262])
PARAMS = types.SamplingParams(max_tokens=3, seed=11)


def _optim(rig: Rig) -> types.OptimStepResponse:
    return rig.training.optim_step(types.AdamParams(learning_rate=1e-3)).result()


def _only_future(rig: Rig, endpoint: str) -> str:
    submits = [e for e in rig.entries(endpoint) if e.status == 200]
    assert len(submits) == 1, [e.describe() for e in submits]
    assert submits[0].future_request_id is not None
    return submits[0].future_request_id


def test_408_repolls_at_once_and_reports_the_queue_state(faults: Rig, caplog: pytest.LogCaptureFixture) -> None:
    body = {"queue_state": "paused_capacity", "queue_state_reason": "mock capacity drill"}
    sampler = faults.fresh_sampler()
    faults.plan({"match": SAMPLE_POLLS, "times": 2, "action": {"status": {"status": 408, "body": body}}})
    with caplog.at_level(logging.WARNING):
        response = sampler.sample(PROMPT, num_samples=1, sampling_params=PARAMS).result()
    assert len(response.sequences) == 1
    polls = polls_of(faults.entries(), _only_future(faults, "asample"))
    assert [p.status for p in polls] == [408, 408, 200]
    assert "mock capacity drill" in caplog.text  # the SamplingClient observer logged the pause


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_repolls_at_once(faults: Rig, status: int) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 2, "action": {"status": status}})
    _optim(faults)
    polls = polls_of(faults.entries(), _only_future(faults, "optim_step"))
    assert [p.status for p in polls] == [status, status, 200]


def test_429_backs_off_before_repolling(faults: Rig) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"status": 429}})
    started = time.monotonic()
    _optim(faults)
    assert time.monotonic() - started >= 0.9  # min(2**0, 30) = 1 s of client backoff
    assert [p.status for p in polls_of(faults.entries(), _only_future(faults, "optim_step"))] == [429, 200]


def test_410_on_a_training_future_surfaces_to_the_user(faults: Rig) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"expire": {}}})
    with pytest.raises(Exception, match="Promise expired"):
        _optim(faults)
    assert [p.status for p in faults.entries("retrieve_future")] == [410]
    _optim(faults)  # the client is not poisoned: the next step gets the next seq_id
    seq_ids = [e.request_body["seq_id"] for e in faults.entries("optim_step")]
    assert seq_ids[1] == seq_ids[0] + 1


def test_410_on_a_sample_resubmits_the_whole_sample_with_a_new_seq_id(faults: Rig) -> None:
    faults.plan({"match": SAMPLE_POLLS, "times": 1, "action": {"expire": {}}})
    faults.sampling.sample(PROMPT, num_samples=1, sampling_params=PARAMS).result()
    submits = faults.entries("asample")
    assert len(submits) == 2
    assert submits[1].request_body["seq_id"] != submits[0].request_body["seq_id"]
    assert [p.status for p in faults.entries("retrieve_future")] == [410, 200]


def test_paused_capacity_for_three_polls_then_410_then_success(faults: Rig, caplog: pytest.LogCaptureFixture) -> None:
    faults.plan(
        {
            "name": "paused",
            "match": SAMPLE_POLLS,
            "times": 3,
            "action": {"try_again": {"queue_state": "paused_capacity", "reason": "drill: capacity"}},
        },
        {"name": "gone", "match": SAMPLE_POLLS, "times": 1, "action": {"expire": {}}},
    )
    sampler = faults.fresh_sampler()
    faults.mark = faults.mock.journal.last_seq
    with caplog.at_level(logging.WARNING):
        sampler.sample(PROMPT, num_samples=1, sampling_params=PARAMS).result()
    polls = faults.entries("retrieve_future")
    assert [p.response_body.get("queue_state") if p.status == 200 else p.status for p in polls][:4] == [
        "paused_capacity",
        "paused_capacity",
        "paused_capacity",
        410,
    ]
    assert len(faults.entries("asample")) == 2
    assert "drill: capacity" in caplog.text
    assert [f.split(":")[0] for f in faults.fired()] == ["rule #0 'paused'"] * 3 + ["rule #1 'gone'"]


def test_paused_rate_limit_then_the_result_still_arrives(faults: Rig) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 3, "action": {"try_again": {"queue_state": "paused_rate_limit"}}})
    _optim(faults)
    polls = polls_of(faults.entries(), _only_future(faults, "optim_step"))
    assert len(polls) == 4 and "metrics" in polls[-1].response_body


def test_try_again_for_a_duration_long_polls_on_the_virtual_clock(faults: Rig) -> None:
    faults.plan({"match": OPTIM_POLLS, "action": {"try_again": {"queue_state": "paused_capacity", "seconds": 60}}})
    future = faults.training.optim_step(types.AdamParams(learning_rate=1e-3))
    stop = threading.Event()

    def pump() -> None:  # play the part of time: 20 clock seconds every 50 ms of real time
        while not stop.wait(0.05):
            faults.mock.clock.advance(20)

    pumper = threading.Thread(target=pump)
    pumper.start()
    try:
        future.result()
    finally:
        stop.set()
        pumper.join()
    polls = faults.entries("retrieve_future")
    paused = [p for p in polls if p.fault]
    assert 2 <= len(paused) <= 4  # each poll is held up to the 20 s long-poll deadline of a 60 s pause
    assert "metrics" in polls[-1].response_body


@pytest.mark.parametrize(("times", "outcome"), [(2, "success"), (4, "failure")])
def test_400_with_a_body_gets_three_immediate_retries(faults: Rig, times: int, outcome: str) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": times, "action": {"status": 400}})
    if outcome == "success":
        _optim(faults)
    else:
        with pytest.raises(ValueError, match="exceeded 3 retries"):
            _optim(faults)
    assert len(faults.entries("retrieve_future")) == min(times, 4) + (1 if outcome == "success" else 0)


@pytest.mark.parametrize("status", [401, 404, 409, 422])
def test_other_4xx_are_fatal_after_one_poll(faults: Rig, status: int) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"status": status}})
    with pytest.raises(ValueError, match=f"status {status}"):
        _optim(faults)
    assert [p.status for p in faults.entries("retrieve_future")] == [status]


@pytest.mark.parametrize("fault", ["reset", "truncated_body", "empty_response"])
def test_broken_connections_back_off_and_repoll(faults: Rig, fault: str) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"transport": fault}})
    started = time.monotonic()
    _optim(faults)
    assert time.monotonic() - started >= 0.9  # connection errors back off min(2**0, 30) s
    polls = faults.entries("retrieve_future")
    assert polls[0].fault is not None and "metrics" in polls[-1].response_body


def test_complete_metadata_makes_the_next_poll_ask_for_the_full_result(faults: Rig) -> None:
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
    assert [p.request_body["allow_metadata_only"] for p in polls[:2]] == [True, False]


@pytest.mark.parametrize("category", ["user", "server", "unknown"])
def test_failed_results_raise_request_failed_with_the_category(faults: Rig, category: str) -> None:
    faults.plan(
        {
            "match": {"endpoint": "optim_step"},
            "times": 1,
            "action": {"fail": {"error": "learning rate too high", "category": category}},
        }
    )
    with pytest.raises(tinker.RequestFailedError) as caught:
        _optim(faults)
    assert caught.value.category == category and "learning rate too high" in str(caught.value)
    assert faults.entries("retrieve_future")[0].response_body == {
        "error": "learning rate too high",
        "category": category,
    }


def test_402_on_a_poll_pauses_for_billing_then_succeeds(faults: Rig) -> None:
    faults.plan({"match": OPTIM_POLLS, "times": 1, "action": {"status": 402}})
    started = time.monotonic()
    _optim(faults)
    assert time.monotonic() - started >= 4.5  # the SDK's billing pause sleeps 5 s between polls
    assert [p.status for p in faults.entries("retrieve_future")] == [402, 200]
