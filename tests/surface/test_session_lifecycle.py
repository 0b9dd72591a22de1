"""Session lifecycle: creation fields, heartbeats, expiry on the virtual clock, finish reasons
(protocol reference §4.2-§4.4, §5 rows 3-5, §15.3 "410 stops heartbeat").
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
import tinker
from surface_support import ALICE, BASE_MODEL, entries, frozen_clock, http, no_violations, service, statuses, wait_for

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker


def _create(api: httpx.Client, **fields: object) -> str:
    body = {"tags": [], "user_metadata": {}, "sdk_version": "raw", **fields}
    answer = api.post("/create_session", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["session_id"])


def _result(api: httpx.Client, request_id: str) -> dict[str, object]:
    while True:
        answer = api.post("/retrieve_future", json={"request_id": request_id})
        assert answer.status_code == 200, answer.text
        if answer.json().get("type") != "try_again":
            return dict(answer.json())


def test_heartbeats_keep_a_session_alive_until_silence_expires_it(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    clock = frozen_clock()
    mock = tinker_mock_factory(ServerConfig(session_expiry_seconds=120, seq_gap_timeout=1e9), clock)
    with http(mock, ALICE) as api:
        session_id = _create(
            api, tags=["nightly", "a", "nightly"], user_metadata={"team": "rl"}, project_id="proj-1", display_name="N"
        )
        record = mock.server.state.sessions[session_id]
        assert (record.tags, record.user_metadata, record.project_id, record.display_name) == (
            ["a", "nightly"],
            {"team": "rl"},
            "proj-1",
            "N",
        )
        create = api.post(
            "/create_model",
            json={"session_id": session_id, "model_seq_id": 0, "base_model": BASE_MODEL, "lora_config": {"rank": 2}},
        )
        model_id = _result(api, create.json()["request_id"])["model_id"]
        # seq_id 5 waits for 1-4, which never come (the gap timeout is huge): the future stays queued.
        stuck = api.post("/optim_step", json={"model_id": model_id, "seq_id": 5, "adam_params": {"learning_rate": 0.1}})
        stuck_id = stuck.json()["request_id"]

        for _ in range(3):  # 300 clock seconds in all, but never 120 without a heartbeat
            clock.advance(100)
            assert api.post("/session_heartbeat", json={"session_id": session_id}).status_code == 200
        assert api.post("/sessions/search", json={"session_id": session_id}).json()["sessions"][0]["status"] == {
            "type": "active"
        }

        clock.advance(120)
        gone = api.post("/session_heartbeat", json={"session_id": session_id, "type": "session_heartbeat"})
        assert gone.status_code == 410 and gone.json()["code"] == "session-expired"
        assert "no heartbeat for 120 s" in gone.json()["detail"]
        failed = _result(api, stuck_id)
        assert failed["category"] == "user" and "expired" in str(failed["error"])
        assert record.expired_at == clock.now()

        finish = api.post(f"/sessions/{session_id}/finish", json={"reason": {"type": "success"}, "detail": None})
        assert finish.status_code == 200  # accepted, but an expired session stays expired
        status = api.post("/sessions/search", json={"session_id": session_id}).json()["sessions"][0]["status"]
        assert status["type"] == "cancelled" and "expired" in status["detail"]
        assert api.post("/session_heartbeat", json={"session_id": session_id}).status_code == 410
    assert statuses(entries(mock, endpoint="session_heartbeat")) == [200, 200, 200, 410, 410]
    assert no_violations(mock) == []


def test_finish_records_the_first_reason_and_ends_heartbeats(tinker_mock_factory: Callable[..., MockTinker]) -> None:
    mock = tinker_mock_factory(clock=frozen_clock())
    with http(mock, ALICE) as api:
        errored, done, alive = _create(api), _create(api), _create(api)
        assert api.post(f"/sessions/{errored}/finish", json={"reason": {"type": "errored"}, "detail": "OOM"}).is_success
        assert api.post(f"/sessions/{errored}/finish", json={"reason": {"type": "success"}, "detail": None}).is_success
        assert api.post(f"/sessions/{done}/finish", json={"reason": {"type": "success"}, "detail": None}).is_success
        bad = api.post(f"/sessions/{done}/finish", json={"reason": {"type": "exploded"}, "detail": None})
        assert bad.status_code == 422 and "reason" in bad.json()["detail"]
        gone = api.post("/session_heartbeat", json={"session_id": errored})
        assert gone.status_code == 410 and gone.json()["code"] == "session-finished"

        def found(statuses_query: list[dict[str, object]]) -> list[str]:
            page = api.post("/sessions/search", json={"statuses": statuses_query}).json()
            return sorted(s["session_id"] for s in page["sessions"])

        assert found([{"type": "client_finished", "reasons": ["errored"]}]) == [errored]
        assert found([{"type": "client_finished"}]) == sorted([errored, done])
        assert found([{"type": "active"}]) == [alive]
        assert found([{"type": "active"}, {"type": "client_finished", "reasons": ["success"]}]) == sorted([alive, done])
        summary = api.post("/sessions/search", json={"session_id": errored}).json()["sessions"][0]
        assert summary["status"] == {"type": "client_finished", "reason": {"type": "errored"}, "detail": "OOM"}


@pytest.mark.sdk
def test_sdk_heartbeat_loop_stops_after_the_session_expires(sdk_mock: Callable[..., MockTinker]) -> None:
    clock = frozen_clock()
    mock = sdk_mock(ServerConfig(session_expiry_seconds=120), clock=clock)
    client = service(mock, ALICE)
    try:
        client.create_sampling_client(base_model=BASE_MODEL).result()
        session_id = entries(mock, endpoint="create_session")[0].response_body["session_id"]
        clock.advance(121)  # no heartbeat yet (the SDK's first comes after 10 real seconds): expired
        heartbeats = lambda: entries(mock, endpoint="session_heartbeat")  # noqa: E731
        wait_for(lambda: bool(heartbeats()), timeout=20, what="the SDK's first heartbeat")
        assert statuses(heartbeats()) == [410]
        assert heartbeats()[0].request_body == {"session_id": session_id, "type": "session_heartbeat"}
        time.sleep(11)  # the SDK's loop beats every 10 real seconds; after a 410 it must have stopped
        assert statuses(heartbeats()) == [410]
        rest = tinker.RestClient(base_url=mock.base_url, api_key=ALICE)
        assert rest.get_session(session_id).result().sampler_ids  # still readable after expiry
    finally:
        client.close("success").result()
    assert mock.server.state.sessions[session_id].finish_reason is None  # expiry is final
    assert no_violations(mock) == []
