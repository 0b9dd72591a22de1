"""Telemetry ingestion: validated against the contract, stored per session, readable through the
control-API handler (protocol reference §5 row 24, §11).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
import tinker
from starlette.requests import Request
from surface_support import ALICE, BASE_MODEL, BOB, entries, http, no_violations, service, wait_for

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.telemetry import control_telemetry, telemetry_events


def _control(server: MockServer, query: str) -> tuple[int, dict[str, Any]]:
    """GET /_harness/control/telemetry?<query>, served by the handler the control API mounts."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/_harness/control/telemetry",
        "query_string": query.encode(),
        "headers": [],
    }
    response = asyncio.run(control_telemetry(server, Request(scope)))
    return response.status_code, json.loads(bytes(response.body))


@pytest.mark.sdk
def test_sdk_telemetry_is_stored_with_its_session(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock()
    client = service(mock, ALICE)
    try:
        client.create_sampling_client(base_model=BASE_MODEL).result()
        with pytest.raises(tinker.NotFoundError):  # a user error: the SDK reports it at once
            client.create_training_client_from_state("tinker://nowhere:train:0/weights/x").result()
        session_id = entries(mock, endpoint="create_session")[0].response_body["session_id"]
        wait_for(lambda: bool(telemetry_events(mock.server, session_id)), timeout=10, what="a telemetry batch")
    finally:
        client.close("success").result()
    batches = entries(mock, endpoint="telemetry")
    assert batches and all(e.status == 200 and e.response_body == {"status": "accepted"} for e in batches)
    assert all(e.session_id == session_id for e in batches)  # the journal files each batch under its session
    status, body = _control(mock.server, f"session_id={session_id}")
    assert status == 200 and body["batches"] == len(batches)
    kinds = [(e["event"], e.get("event_name")) for e in body["events"]]
    assert kinds[0] == ("SESSION_START", None) and ("GENERIC_EVENT", "user_error") in kinds
    assert [e["event_session_index"] for e in body["events"]] == sorted(
        e["event_session_index"] for e in body["events"]
    )
    assert len(body["processes"]) == 1
    assert ALICE not in json.dumps(mock.server.state.telemetry)  # stored redacted
    assert no_violations(mock) == []


def test_telemetry_is_validated_and_never_joins_another_keys_session(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    mock = tinker_mock_factory()
    event = {
        "event": "GENERIC_EVENT",
        "event_id": "e-1",
        "event_name": "probe",
        "event_session_index": 0,
        "severity": "INFO",
        "timestamp": "2026-01-01T00:00:00Z",
        "event_data": {"token": "tml-leaked-secret"},
    }
    with http(mock, ALICE) as alice, http(mock, BOB) as bob:
        session_id = alice.post("/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "raw"}).json()[
            "session_id"
        ]
        batch = {
            "events": [event],
            "platform": "Linux",
            "sdk_version": "raw",
            "session_id": session_id,
            "process_uuid": "p-1",
        }
        assert alice.post("/telemetry", json=batch).json() == {"status": "accepted"}
        assert bob.post("/telemetry", json={**batch, "process_uuid": "p-2"}).status_code == 200  # accepted, not joined
        broken = {**batch, "events": [{**event, "severity": "LOUD"}]}
        refused = alice.post("/telemetry", json=broken)
        assert refused.status_code == 422 and "severity" in refused.json()["detail"]
        unknown = alice.post("/telemetry", json={**batch, "events": [{**event, "event": "NEW_KIND"}]})
        assert unknown.status_code == 422
    status, body = _control(mock.server, f"session_id={session_id}")
    assert status == 200 and body["batches"] == 1 and body["processes"] == ["p-1"]
    assert body["events"][0]["event_data"]["token"].startswith("<redacted:")
    assert _control(mock.server, "")[0] == 400
    assert [e.session_id for e in entries(mock, endpoint="telemetry")] == [session_id, None, None, None]
