"""Faults on submit endpoints, ``asample`` and heartbeats against the official SDK (protocol reference §1.1,
§3, §4.3, §9.3, §15.3 — one test per row and column of the status-code cheat sheet)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import tinker
from fault_rig import BASE_MODEL, Rig
from tinker import types

from tinker_harness.mock_server.assertions import assert_requests_in_order
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.faults.plan import FaultPlan
from tinker_harness.mock_server.local import MockTinker

pytestmark = pytest.mark.sdk

OPTIM = {"endpoint": "optim_step"}
ASAMPLE = {"endpoint": "asample"}
PROMPT = types.ModelInput.from_ints([300, 362, 262])
PARAMS = types.SamplingParams(max_tokens=3, seed=5)


def _optim(rig: Rig) -> types.OptimStepResponse:
    return rig.training.optim_step(types.AdamParams(learning_rate=1e-3)).result()


def test_empty_400_is_a_cloudflare_reject_retried_on_a_new_connection(faults: Rig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": {"status": 400, "empty_body": True}}})
    _optim(faults)
    submits = faults.entries("optim_step")
    assert [e.status for e in submits] == [400, 200]
    assert submits[0].response_headers["content-length"] == "0"


def test_400_with_a_body_raises_bad_request(faults: Rig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": {"status": 400, "body": {"detail": "bad lr"}}}})
    with pytest.raises(tinker.BadRequestError, match="bad lr"):
        _optim(faults)
    assert [e.status for e in faults.entries("optim_step")] == [400]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, tinker.AuthenticationError),
        (403, tinker.PermissionDeniedError),
        (404, tinker.NotFoundError),
        (422, tinker.UnprocessableEntityError),
    ],
)
def test_client_errors_raise_their_exception_without_retry(faults: Rig, status: int, error: type[Exception]) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": status}})
    with pytest.raises(error):
        _optim(faults)
    assert [e.status for e in faults.entries("optim_step")] == [status]


@pytest.mark.parametrize("status", [408, 409, 500, 503])
def test_retryable_statuses_are_retried_with_the_same_idempotency_key(faults: Rig, status: int) -> None:
    faults.plan(
        {"match": OPTIM, "times": 1, "action": {"status": {"status": status, "headers": {"retry-after-ms": "20"}}}}
    )
    _optim(faults)
    first, second = faults.entries("optim_step")
    assert (first.status, second.status) == (status, 200)
    assert first.request_headers["x-idempotency-key"] == second.request_headers["x-idempotency-key"]
    assert (first.request_headers["x-stainless-retry-count"], second.request_headers["x-stainless-retry-count"]) == (
        "0",
        "1",
    )


def test_429_honours_retry_after(faults: Rig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": {"status": 429, "headers": {"retry-after": "1"}}}})
    started = time.monotonic()
    _optim(faults)
    assert time.monotonic() - started >= 0.9
    assert [e.status for e in faults.entries("optim_step")] == [429, 200]


def test_x_should_retry_false_leaves_the_retry_to_the_holder_layer(faults: Rig) -> None:
    faults.plan(
        {"match": OPTIM, "times": 1, "action": {"status": {"status": 503, "headers": {"x-should-retry": "false"}}}}
    )
    _optim(faults)
    first, second = faults.entries("optim_step")
    assert (first.status, second.status) == (503, 200)
    # not a transport-level retry (that would reuse the key): the holder retried with a fresh call
    assert first.request_headers["x-idempotency-key"] != second.request_headers["x-idempotency-key"]
    assert second.request_headers["x-stainless-retry-count"] == "0"


def test_410_on_a_submit_is_not_retried(faults: Rig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": 410}})
    with pytest.raises(tinker.APIStatusError) as caught:
        _optim(faults)
    assert caught.value.status_code == 410
    assert [e.status for e in faults.entries("optim_step")] == [410]


def test_402_on_a_submit_pauses_silently_then_succeeds(faults: Rig) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"status": 402}})
    started = time.monotonic()
    _optim(faults)
    assert time.monotonic() - started >= 4.5  # the holder's billing pause is 5 s
    assert [e.status for e in faults.entries("optim_step")] == [402, 200]


@pytest.mark.parametrize("fault", ["reset", "empty_response", "garbage"])
def test_broken_connections_on_a_submit_are_retried(faults: Rig, fault: str) -> None:
    faults.plan({"match": OPTIM, "times": 1, "action": {"transport": fault}})
    _optim(faults)
    submits = faults.entries("optim_step")
    assert submits[0].fault is not None and submits[-1].status == 200 and len(submits) == 2


def test_asample_429_is_backpressure_resubmitting_the_same_seq_id(faults: Rig) -> None:
    faults.plan({"match": ASAMPLE, "times": 1, "action": {"status": 429}})
    started = time.monotonic()
    faults.sampling.sample(PROMPT, num_samples=1, sampling_params=PARAMS).result()
    assert time.monotonic() - started >= 0.9  # 1 s backoff for a small prompt
    first, second = faults.entries("asample")
    assert (first.status, second.status) == (429, 200)
    assert first.request_body["seq_id"] == second.request_body["seq_id"]
    assert second.request_headers["x-tinker-sampling-backpressure"] == "1"


@pytest.mark.parametrize("status", [408, 500, 503])
def test_asample_transient_errors_are_retried(faults: Rig, status: int) -> None:
    faults.plan(
        {"match": ASAMPLE, "times": 1, "action": {"status": {"status": status, "headers": {"retry-after-ms": "1"}}}}
    )
    response = faults.sampling.sample(PROMPT, num_samples=2, sampling_params=PARAMS).result()
    assert len(response.sequences) == 2
    assert [e.status for e in faults.entries("asample")][-1] == 200


def test_asample_400_raises(faults: Rig) -> None:
    faults.plan({"match": ASAMPLE, "times": 1, "action": {"status": {"status": 400, "body": {"detail": "bad prompt"}}}})
    with pytest.raises(tinker.BadRequestError, match="bad prompt"):
        faults.sampling.sample(PROMPT, num_samples=1, sampling_params=PARAMS).result()


def test_latency_holds_the_answer_until_the_clock_passes_it(faults: Rig) -> None:
    faults.plan({"match": {"endpoint": "get_info"}, "times": 1, "latency": {"fixed": 30}})
    rest = tinker.RestClient(base_url=faults.mock.base_url, api_key=faults.mock.api_key)
    future = rest.get_server_capabilities()  # not faulted: answers at once on a frozen clock
    assert future.result().supported_models
    request = faults.service.create_lora_training_client(base_model=BASE_MODEL, rank=2)
    time.sleep(0.3)
    assert not request.future().done()  # get_info is held by 30 s of latency on the frozen clock
    faults.mock.clock.advance(30)
    request.result(timeout=10)
    assert faults.entries("get_info")[0].fault is not None


def test_heartbeat_410_stops_the_heartbeat_loop(faults: Rig) -> None:
    faults.plan({"match": {"endpoint": "session_heartbeat"}, "action": {"status": 410}})
    service = tinker.ServiceClient()
    service.create_sampling_client(base_model=BASE_MODEL).result()  # opens the session and its heartbeat loop
    session_id = faults.entries("create_session")[-1].response_body["session_id"]
    deadline = time.monotonic() + 40
    while not [e for e in faults.entries("session_heartbeat") if e.session_id == session_id]:
        assert time.monotonic() < deadline, "no heartbeat within 40 s"
        time.sleep(0.25)
    time.sleep(11)  # one full heartbeat interval: a live loop would have beaten again
    beats = [e for e in faults.entries("session_heartbeat") if e.session_id == session_id]
    assert [b.status for b in beats] == [410]
    service.close("success").result()
    assert_requests_in_order(faults.entries(), "create_session", "session_heartbeat", "finish_session")


def test_a_retried_unnamed_sampler_save_takes_the_next_sampling_session_seq_id(faults: Rig) -> None:
    """The SDK counts ``sampling_session_seq_id`` inside the retried send (§8.4): a
    retry keeps its ``seq_id`` but takes the next sampling session number, and the server accepts the gap."""
    faults.plan({"match": {"endpoint": "save_weights_for_sampler"}, "times": 1, "action": {"status": 503}})
    sampler = faults.training.save_weights_and_get_sampling_client().result()
    assert sampler.sample(PROMPT, 1, PARAMS).result().sequences
    saves = faults.entries("save_weights_for_sampler")
    assert [e.status for e in saves] == [503, 200]
    assert saves[0].request_body["seq_id"] == saves[1].request_body["seq_id"]
    first, retried = (e.request_body["sampling_session_seq_id"] for e in saves)
    assert retried == first + 1
    second = faults.training.save_weights_and_get_sampling_client().result()  # the counter goes on
    assert second.sample(PROMPT, 1, PARAMS).result().sequences
    assert faults.entries("save_weights_for_sampler")[-1].request_body["sampling_session_seq_id"] == first + 2


def test_compute_logprobs_retries_even_when_the_config_turns_sample_retries_off(
    sdk_mock: Callable[..., MockTinker],
) -> None:
    """``sample_no_retries`` turns the retry handler off for ``sample`` only (§3.3): an expired sample future
    (410 on its poll) fails ``sample`` but makes ``compute_logprobs`` submit again."""
    mock = sdk_mock(ServerConfig(client_config={"sample_no_retries": True}))
    sampling = (
        tinker.ServiceClient(base_url=mock.base_url, api_key=mock.api_key)
        .create_sampling_client(base_model=BASE_MODEL)
        .result()
    )
    expire_once = {
        "seed": 0,
        "rules": [{"match": {"endpoint": "retrieve_future"}, "times": 1, "action": {"expire": {}}}],
    }
    mock.server.faults.load(FaultPlan.parse(expire_once))
    with pytest.raises(Exception, match="Promise expired"):
        sampling.sample(PROMPT, 1, PARAMS).result()
    assert len(mock.journal.entries(endpoint="asample")) == 1
    mock.server.faults.load(FaultPlan.parse(expire_once))
    assert len(sampling.compute_logprobs(PROMPT).result()) == len(PROMPT.to_ints())
    assert len(mock.journal.entries(endpoint="asample")) == 3  # the logprobs request was submitted twice
