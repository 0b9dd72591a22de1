"""Futures long-poll, and training ops run in seq_id order whatever their arrival order (§6.3, §8.2)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from raw_api import RawApi

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.faults.plan import FaultPlan
from tinker_harness.mock_server.local import MockTinker


@pytest.fixture
def frozen(tinker_mock_factory: Callable[..., MockTinker]) -> Iterator[tuple[MockTinker, RawApi]]:
    mock = tinker_mock_factory(ServerConfig(long_poll_timeout=20, seq_gap_timeout=10), clock=Clock(frozen_at=1e9))
    api = RawApi(mock.base_url)
    yield mock, api
    api.close()


def test_out_of_order_submissions_execute_in_seq_order(frozen: tuple[MockTinker, RawApi]) -> None:
    mock, api = frozen
    model = api.model(api.session())
    queue = mock.server.state.runs[model].queue
    third = api.optim(model, 3)
    second = api.optim(model, 2)
    assert list(queue.executed) == [] and queue.pending_seq_ids == [2, 3]
    first = api.optim(model, 1)
    for request_id in (third, second, first):
        assert "metrics" in api.result(request_id)
    assert list(queue.executed) == [1, 2, 3]
    assert mock.server.state.runs[model].model.step == 3


def test_a_missing_seq_id_holds_the_queue_until_the_gap_timeout(frozen: tuple[MockTinker, RawApi]) -> None:
    mock, api = frozen
    model = api.model(api.session())
    late = api.optim(model, 2)  # seq_id 1 never arrives
    time.sleep(0.1)
    assert mock.server.state.futures.find(late).state.value == "queued"  # type: ignore[union-attr]
    mock.clock.advance(10)
    assert "metrics" in api.result(late)
    assert list(mock.server.state.runs[model].queue.executed) == [2]


def test_long_poll_answers_try_again_only_at_the_clock_deadline(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    # The gap timeout lies beyond the long-poll deadline, so advancing to the deadline cannot also run the op.
    mock = tinker_mock_factory(ServerConfig(long_poll_timeout=20, seq_gap_timeout=100), clock=Clock(frozen_at=1e9))
    api = RawApi(mock.base_url)
    model = api.model(api.session())
    waiting = api.optim(model, 2)  # held: seq_id 1 is missing
    answers: list[dict[str, object]] = []
    poller = threading.Thread(target=lambda: answers.append(api.ok("retrieve_future", {"request_id": waiting})))
    poller.start()
    time.sleep(0.2)
    assert answers == []  # held, not answered: the SDK never sleeps between polls
    mock.clock.advance(20)
    poller.join(5)
    assert answers == [{"type": "try_again", "request_id": waiting, "queue_state": "active"}]
    api.close()


def test_long_poll_wakes_on_completion(frozen: tuple[MockTinker, RawApi]) -> None:
    mock, api = frozen
    model = api.model(api.session())
    waiting = api.optim(model, 2)
    answers: list[dict[str, object]] = []
    poller = threading.Thread(target=lambda: answers.append(api.ok("retrieve_future", {"request_id": waiting})))
    poller.start()
    time.sleep(0.1)
    api.optim(model, 1)  # fills the gap: seq 1 runs, then seq 2, which wakes the poll
    poller.join(5)
    assert answers and "metrics" in answers[0]
    polls = mock.journal.entries(endpoint="retrieve_future", where=lambda e: e.future_request_id == waiting)
    assert len(polls) == 1


def test_metadata_only_two_phase(tinker_mock_factory: Callable[..., MockTinker]) -> None:
    mock = tinker_mock_factory(ServerConfig(metadata_only_threshold_bytes=0))
    api = RawApi(mock.base_url)
    model = api.model(api.session())
    request_id = api.forward_backward(model, 1, [5, 6, 7, 8], forward_only=True)
    proto = {"accept": "application/x-protobuf"}
    first = api.post("retrieve_future", {"request_id": request_id, "allow_metadata_only": True}, headers=proto).json()
    assert first["status"] == "complete_metadata" and first["response_payload_size"] > 0
    second = api.post("retrieve_future", {"request_id": request_id, "allow_metadata_only": False}, headers=proto)
    assert second.headers["content-type"] == "application/x-protobuf"
    assert len(second.content) == first["response_payload_size"]
    api.close()


def test_results_follow_the_accept_header(tinker_mock: MockTinker) -> None:
    api = RawApi(tinker_mock.base_url)
    model = api.model(api.session())
    request_id = api.forward_backward(model, 1, [5, 6, 7, 8], forward_only=True)
    as_json = api.result(request_id)
    assert as_json["loss_fn_output_type"] == "ArrayRecord" and "loss:sum" in as_json["metrics"]
    assert as_json["loss_fn_outputs"][0]["logprobs"]["shape"] == [3]
    as_proto = api.post("retrieve_future", {"request_id": request_id}, headers={"accept": "application/x-protobuf"})
    assert as_proto.headers["content-type"] == "application/x-protobuf"
    api.close()


def test_a_refused_submit_does_not_hold_later_ops(frozen: tuple[MockTinker, RawApi]) -> None:
    mock, api = frozen
    model = api.model(api.session())
    refused = api.post("optim_step", {"model_id": model, "seq_id": 1, "adam_params": {"learning_rate": -1}})
    assert refused.status_code == 400
    later = api.optim(model, 2)
    assert "metrics" in api.result(later)  # on a frozen clock a held op would never run
    assert list(mock.server.state.runs[model].queue.executed) == [1, 2]  # 1 was released, not run


def test_an_injected_final_refusal_releases_the_seq_id(frozen: tuple[MockTinker, RawApi]) -> None:
    mock, api = frozen
    model = api.model(api.session())
    mock.server.faults.load(
        FaultPlan.parse({"rules": [{"match": {"endpoint": "optim_step"}, "times": 1, "action": {"status": 404}}]})
    )
    assert api.post("optim_step", {"model_id": model, "seq_id": 1, "adam_params": {}}).status_code == 404
    assert "metrics" in api.result(api.optim(model, 2))
