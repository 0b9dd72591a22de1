"""Defects the property and schema fuzzers found, each pinned by the input that found it (in-process ASGI)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.state_setup import add_checkpoint, add_run

HEADERS = {"X-API-Key": "tml-fuzz-regressions"}


def _forward(tensor: dict[str, Any]) -> dict[str, Any]:
    datum = {
        "model_input": {"chunks": [{"type": "encoded_text", "tokens": [1, 2]}]},
        "loss_fn_inputs": {"target_tokens": tensor},
    }
    return {"model_id": "s:train:0", "seq_id": 1, "forward_input": {"loss_fn": "cross_entropy", "data": [datum]}}


@pytest.mark.parametrize(
    ("tensor", "named"),
    [
        ({"data": [1], "dtype": "int64", "sparse_crow_indices": [0, 10**30], "sparse_col_indices": [0]}, "sparse_crow"),
        (
            {"data": [1], "dtype": "int64", "sparse_crow_indices": [0, 1], "sparse_col_indices": [-(10**30)]},
            "sparse_col",
        ),
        ({"data": [1], "dtype": "int64", "shape": [10**30]}, "dimension larger than"),
    ],
    ids=["crow-index", "col-index", "shape"],
)
def test_oversized_json_tensor_integers_found_by_schemathesis(tensor: dict[str, Any], named: str) -> None:
    """schemathesis sent JSON tensors whose CSR indices or shape did not fit int64: the server answered 500
    (OverflowError while converting them). They are malformed tensors: 400 naming the field."""
    with TestClient(MockServer().app) as client:
        answer = client.post("/api/v1/forward", headers=HEADERS, json=_forward(tensor))
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "malformed-tensor"
        assert "loss_fn_inputs[target_tokens]" in answer.json()["detail"] and named in answer.json()["detail"]
        assert client.get("/api/v1/healthz").status_code == 200


TELEMETRY_EVENT = {
    "event": "SESSION_END",
    "event_id": "e1",
    "event_session_index": 0,
    "severity": "INFO",
    "timestamp": "2026-01-01T00:00:00Z",
    "duration": "1s",
}


def _telemetry(**changes: Any) -> dict[str, Any]:
    event = {**TELEMETRY_EVENT, **changes}
    return {"events": [event], "platform": "linux", "process_uuid": "p", "sdk_version": "0.38.0", "session_id": "s"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/telemetry", _telemetry(event_session_index=False), "events.0"),
        ("/api/v1/telemetry", _telemetry(event_session_index="5"), "events.0"),
        (
            "/api/v1/sessions/search",
            {"cursor": {"last_created_at": 0, "last_session_id": "s"}},
            "cursor.last_created_at",
        ),
    ],
    ids=["bool-for-int", "string-for-int", "number-for-time"],
)
def test_a_value_of_the_wrong_json_type_is_refused_found_by_schemathesis(
    path: str, body: dict[str, Any], field: str
) -> None:
    """schemathesis's negative_data_rejection sent ``false`` and ``"5"`` for integers and ``0`` for a
    timestamp; pydantic's lax mode converted them and the server answered 200. Bodies now validate in
    strict JSON mode: 422 naming the field, and the state is untouched."""
    server = MockServer()
    with TestClient(server.app) as client:
        answer = client.post(path, headers=HEADERS, json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid-body"
        assert field in answer.json()["detail"], answer.json()["detail"]
        assert server.state.telemetry == []
        assert client.post("/api/v1/telemetry", headers=HEADERS, json=_telemetry()).status_code == 200
        assert len(server.state.telemetry) == 1


def test_a_whole_number_written_as_a_float_is_an_integer_found_by_schemathesis() -> None:
    """With strict validation, schemathesis's positive_data_acceptance sent ``"seq_id": 1000.0`` (an
    integer in JSON Schema) and the server refused it; a zero-fraction number counts as an integer."""
    server = MockServer()
    with TestClient(server.app) as client:
        good = client.post("/api/v1/telemetry", headers=HEADERS, json=_telemetry(event_session_index=3.0))
        assert good.status_code == 200, good.text
        assert [e["event_session_index"] for batch in server.state.telemetry for e in batch["events"]] == [3]
        bad = client.post("/api/v1/telemetry", headers=HEADERS, json=_telemetry(event_session_index=3.5))
        assert bad.status_code == 422 and "events.0" in bad.json()["detail"], bad.text


def test_a_checkpoint_suffix_path_with_a_one_segment_id_found_by_schemathesis() -> None:
    """schemathesis's allow_header_conformance sent OPTIONS to ``…/checkpoints/0/publish`` (and ``ttl``,
    ``archive``, ``external_weights_urls``): the router read it as checkpoint ``0/publish``, so the 405's
    Allow named DELETE, not the publish resource's POST and DELETE. A malformed id now reads as the
    suffixed resource (400 naming the id), while a checkpoint that is really named ``publish`` keeps its path."""
    server = MockServer()
    run = add_run(server, HEADERS["X-API-Key"])
    named_publish = add_checkpoint(server, run, "weights", "publish")
    base = f"/api/v1/training_runs/{run.run_id}/checkpoints"
    with TestClient(server.app) as client:
        options = client.options(f"{base}/0/publish", headers=HEADERS)
        assert options.status_code == 405 and options.headers["allow"] == "DELETE, POST", options.text
        ttl = client.options(f"{base}/0/ttl", headers=HEADERS)
        assert ttl.status_code == 405 and ttl.headers["allow"] == "PUT", ttl.text
        publish = client.post(f"{base}/0/publish", headers=HEADERS)
        assert publish.status_code == 400 and publish.json()["code"] == "invalid-checkpoint-id", publish.text
        assert client.delete(f"{base}/{named_publish.checkpoint_id}", headers=HEADERS).status_code == 200
        listing = client.get(f"{base}", headers=HEADERS).json()
        assert [c["checkpoint_id"] for c in listing["checkpoints"]] == []
