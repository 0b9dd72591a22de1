"""The retrieve_future loop against the real mock (§6): long-polls, try_again, complete_metadata, failures."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import pytest
from refclient_support import BASE_MODEL, dataset, datum, violations

from tinker_harness.contracts import AdamParams
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.reference_client import BadRequest, QueueStateChange, ReferenceClient, RequestFailed


def polls_by_future(mock: MockTinker) -> dict[str, list[JournalEntry]]:
    polls: dict[str, list[JournalEntry]] = defaultdict(list)
    for entry in mock.journal.entries(endpoint="retrieve_future"):
        polls[entry.request_body["request_id"]].append(entry)
    return polls


def test_pending_futures_are_long_polled_with_queue_states_reported(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    # In clock-cycle mode an op waits for the next 1 s cycle boundary, so its future stays pending for up to
    # a second of 0.25 s long-polls.
    mock = tinker_mock_factory(ServerConfig(long_poll_timeout=0.25, cycle_seconds=1.0))
    changes: list[QueueStateChange] = []
    with ReferenceClient(mock.base_url, mock.api_key, queue_observer=changes.append) as client:
        training = client.create_lora_training_client(BASE_MODEL, rank=4)
        refused = training.optim_step(AdamParams(learning_rate=-1.0))
        with pytest.raises(BadRequest) as refusal:
            refused.result()
        assert refusal.value.status == 400 and refusal.value.code == "invalid-adam-params"
        while mock.clock.now() % 1.0 > 0.5:  # start early in a cycle so the wait spans several long-polls
            time.sleep(0.01)
        training.optim_step(AdamParams(learning_rate=0.01)).result()

    submits = mock.journal.entries(endpoint="optim_step")
    assert [(e.request_body["seq_id"], e.status) for e in submits] == [(1, 400), (2, 200)]
    future_id = submits[1].response_body["request_id"]
    polls = polls_by_future(mock)[future_id]
    assert 2 <= len(polls) <= 8, f"{len(polls)} polls for a wait of up to 1 s of 0.25 s long-polls"
    assert [e.request_headers["x-tinker-request-iteration"] for e in polls] == [str(i) for i in range(len(polls))]
    assert all(e.response_body["type"] == "try_again" for e in polls[:-1])
    mine = [c for c in changes if c.future_id == future_id]
    assert [c.queue_state for c in mine] == ["active"] * len(polls)  # one per try_again, one on completion
    assert {c.request_type for c in mine} == {"OptimStep"}
    assert violations(mock.journal.entries()) == []


def test_every_settled_future_is_polled_once_without_the_long_poll(tinker_mock: MockTinker) -> None:
    with ReferenceClient(tinker_mock.base_url, tinker_mock.api_key) as client:
        training = client.create_lora_training_client(BASE_MODEL, rank=4)
        for _ in range(3):
            step = training.forward_backward(dataset(), "cross_entropy")
            training.optim_step(AdamParams(learning_rate=0.01)).result()
            step.result()
    counts = [len(polls) for polls in polls_by_future(tinker_mock).values()]
    assert len(counts) == 7 and max(counts) <= 2, counts


def test_complete_metadata_is_answered_by_a_second_poll_without_metadata(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    mock = tinker_mock_factory(ServerConfig(metadata_only_threshold_bytes=0))
    with ReferenceClient(mock.base_url, mock.api_key) as client:
        training = client.create_lora_training_client(BASE_MODEL, rank=4)
        out = training.forward_backward(dataset(), "cross_entropy").result()
        assert len(out.loss_fn_outputs) == 3 and out.metrics["loss:sum"] > 0
    for future_id, polls in polls_by_future(mock).items():
        assert [e.request_body["allow_metadata_only"] for e in polls] == [True, False], future_id
        assert polls[0].response_body["status"] == "complete_metadata"
        assert polls[0].response_body["response_payload_size"] > 0
    assert violations(mock.journal.entries()) == []


def test_a_failed_request_is_a_request_failed_error_with_its_category(tinker_mock: MockTinker) -> None:
    with ReferenceClient(tinker_mock.base_url, tinker_mock.api_key) as client:
        training = client.create_lora_training_client(BASE_MODEL, rank=4)
        with pytest.raises(RequestFailed) as failure:
            training.forward_backward([datum("No weights here.", weights=False)], "cross_entropy").result()
        # A failed request does not poison the client: the next step goes out with the next seq_id.
        training.forward_backward(dataset(), "cross_entropy").result()
        session_id = client.session_id

    error = failure.value
    assert error.category == "user" and "weights" in error.error
    submit, retry = tinker_mock.journal.entries(endpoint="forward_backward")
    assert [submit.request_body["message"]["seq_id"], retry.request_body["message"]["seq_id"]] == [1, 2]
    assert error.future_id == submit.response_body["request_id"]
    last_poll = polls_by_future(tinker_mock)[error.future_id][-1]
    assert (error.method, error.path, error.status) == ("POST", "/api/v1/retrieve_future", 200)
    assert error.request_id == last_poll.http_request_id and error.session_id == session_id
    assert str(error).startswith(f"request {error.future_id} failed (user):")
