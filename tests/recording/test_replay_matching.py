"""Replay-as-server matching on a hand-made cassette: recorded order, retries, id and seq_id remapping, 409s.

No SDK: plain HTTP against :class:`ReplayApp`, so each rule is seen on its own (protocol reference
§3 retries, §6 long-polls, §9.2 sampler seq_id offsets).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tinker_harness.mock_server.recording import AppServer, Cassette, Interaction, ReplayApp
from tinker_harness.mock_server.recording.cassette import Annotation, RecordedRequest, RecordedResponse

BASE = "https://live.example/services/tinker"
SAMPLER = "sess-1:sample:0"


def exchange(seq: int, path: str, body: Any, status: int, answer: Any, key: str = "") -> Interaction:
    headers = {"content-type": ["application/json"]} | ({"x-idempotency-key": [key]} if key else {})
    return Interaction(
        RecordedRequest("POST", BASE + path, headers, json.dumps(body).encode()),
        RecordedResponse(status, "", {"content-type": ["application/json"]}, json.dumps(answer).encode()),
        Annotation(seq=seq, path=path),
    )


def sample(seq_id: int, sampler: str = SAMPLER) -> dict[str, Any]:
    return {"sampling_session_id": sampler, "seq_id": seq_id, "num_samples": 1, "prompt": {"chunks": []}}


CASSETTE = Cassette(
    [
        exchange(
            0,
            "/api/v1/create_sampling_session",
            {"session_id": "sess-1", "sampling_session_seq_id": 0},
            200,
            {"sampling_session_id": SAMPLER},
        ),  # fmt: skip
        exchange(1, "/api/v1/asample", sample(0), 429, {"detail": "slow down"}, key="k-1"),
        exchange(2, "/api/v1/asample", sample(0), 200, {"request_id": "req-1"}, key="k-1"),
        exchange(3, "/api/v1/retrieve_future", {"request_id": "req-1"}, 200, {"type": "try_again"}),
        exchange(4, "/api/v1/retrieve_future", {"request_id": "req-1"}, 200, {"done": "first"}),
        exchange(5, "/api/v1/asample", sample(1), 200, {"request_id": "req-2"}, key="k-2"),
    ],
    source="hand-made.yaml",
)


@pytest.fixture
def replay() -> Iterator[tuple[httpx.Client, ReplayApp]]:
    app = ReplayApp(CASSETTE)
    with AppServer(app) as server, httpx.Client(base_url=server.base_url + "/any/prefix") as client:
        yield client, app


def post(client: httpx.Client, path: str, body: Any, key: str = "") -> httpx.Response:
    return client.post(path, json=body, headers={"x-idempotency-key": key} if key else {})


def test_recorded_order_retries_long_polls_and_seq_offsets(replay: tuple[httpx.Client, ReplayApp]) -> None:
    client, app = replay
    live_session = {"session_id": "my-own-session", "sampling_session_seq_id": 0}  # a client-made id
    created = post(client, "/api/v1/create_sampling_session", live_session).json()
    live_sampler = "my-own-session:sample:0"  # recorded ids in answers follow the client's ids
    assert created == {"sampling_session_id": live_sampler}
    clone = 1_000_000_000  # a cloned sampler counts from k * 1e9 (§9.2)
    first = post(client, "/api/v1/asample", sample(clone, live_sampler), key="live-a")
    retry = post(client, "/api/v1/asample", sample(clone, live_sampler), key="live-a")
    assert (first.status_code, retry.status_code) == (429, 200)
    polls = [post(client, "/api/v1/retrieve_future", {"request_id": "req-1"}).json() for _ in range(2)]
    assert polls == [{"type": "try_again"}, {"done": "first"}]
    assert post(client, "/api/v1/asample", sample(clone + 1, live_sampler), key="live-b").json() == {
        "request_id": "req-2"
    }
    status = client.get("/_harness/replay").json()
    assert status["served"] == 6 and status["unserved"] == [] and status["misses"] == []
    assert app.matcher.bindings.ids["my-own-session"] == "sess-1"


def test_a_skipped_seq_id_is_a_near_miss(replay: tuple[httpx.Client, ReplayApp]) -> None:
    client, _ = replay
    post(client, "/api/v1/create_sampling_session", {"session_id": "sess-1", "sampling_session_seq_id": 0})
    post(client, "/api/v1/asample", sample(5), key="a")
    post(client, "/api/v1/asample", sample(5), key="a")
    missed = post(client, "/api/v1/asample", sample(7), key="b")  # recorded: the next number (offset 5)
    assert missed.status_code == 404 and missed.headers["x-should-retry"] == "false"
    diagnosis = missed.json()
    assert diagnosis["code"] == "replay-no-match" and diagnosis["path"] == "/api/v1/asample"
    closest = diagnosis["closest"][0]
    assert closest["already_served"] is False and closest["failed"] == ["body"]
    assert closest["differences"] == ["$.body.seq_id: recorded 1, received 7 (this scope is offset by -5)"]


def test_asking_more_often_than_recorded_is_a_409(replay: tuple[httpx.Client, ReplayApp]) -> None:
    client, _ = replay
    body = {"session_id": "sess-1", "sampling_session_seq_id": 0}
    assert post(client, "/api/v1/create_sampling_session", body).status_code == 200
    again = post(client, "/api/v1/create_sampling_session", body)
    assert again.status_code == 409
    assert again.json()["code"] == "replay-exhausted"
    assert "all already served" in again.json()["detail"] and "hand-made.yaml" in again.json()["detail"]
