"""Bad input gets a clear 4xx JSON error naming the problem, and the server keeps serving.

Each case sends one malformed or invalid request over loopback and checks the status, the error
``code``, that ``detail`` names the culprit, that the body carries the exchange (method, path,
request id) with an explicit Content-Length, that the journal blames the request and not the
response, and that the very next request is served normally.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import zstandard

from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.mock_server.local import MockTinker

KEY = "tml-bad-input"


@dataclass
class Setup:
    mock: MockTinker
    http: httpx.Client
    session_id: str
    model_id: str


@pytest.fixture
def setup(tinker_mock: MockTinker) -> Iterator[Setup]:
    with httpx.Client(base_url=tinker_mock.base_url, headers={"X-API-Key": KEY}, timeout=30) as http:
        session = http.post("/api/v1/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "test"})
        session_id = session.json()["session_id"]
        created = http.post(
            "/api/v1/create_model",
            json={
                "session_id": session_id,
                "model_seq_id": 0,
                "base_model": "Qwen/Qwen3-8B",
                "lora_config": {"rank": 4},
            },
        )
        yield Setup(tinker_mock, http, session_id, created.json()["model_id"])


def _post_json(path: str, body: Any) -> Callable[[Setup], httpx.Response]:
    return lambda s: s.http.post(path, json=body)


def _deep(path: str, opening: bytes, closing: bytes, depth: int) -> Callable[[Setup], httpx.Response]:
    """A JSON body nested ``depth`` levels deep (past the parsers' recursion limits: never a 500)."""
    body = b'{"model_id": "m", "request_id": "r", "x": ' + opening * depth + b"1" + closing * depth + b"}"
    return lambda s: s.http.post(path, content=body, headers={"content-type": "application/json"})


def _optim(seq_id: int) -> Callable[[Setup], dict[str, Any]]:
    return lambda s: {"model_id": s.model_id, "seq_id": seq_id, "adam_params": {"learning_rate": 0.01}}


def _seq_backwards(s: Setup) -> httpx.Response:
    for seq_id in (1, 2):
        future = s.http.post("/api/v1/optim_step", json=_optim(seq_id)(s)).json()
        assert "metrics" in s.http.post("/api/v1/retrieve_future", json={"request_id": future["request_id"]}).json()
    return s.http.post("/api/v1/optim_step", json=_optim(1)(s))


def _publish_twice(s: Setup) -> httpx.Response:
    saved = s.http.post("/api/v1/save_weights", json={"model_id": s.model_id, "path": "pub", "seq_id": 1}).json()
    s.http.post("/api/v1/retrieve_future", json={"request_id": saved["request_id"]})
    path = f"/api/v1/training_runs/{s.model_id}/checkpoints/weights/pub/publish"
    assert s.http.post(path).status_code == 200
    return s.http.post(path)


def _foreign_session(s: Setup) -> httpx.Response:
    return s.http.post(
        "/api/v1/create_model",
        headers={"X-API-Key": "tml-someone-else"},
        json={"session_id": s.session_id, "model_seq_id": 5, "base_model": "Qwen/Qwen3-8B"},
    )


CASES: dict[str, tuple[Callable[[Setup], httpx.Response], int, str, str]] = {
    # name: (request, status, code, text the detail must contain)
    "malformed-json": (
        lambda s: s.http.post(
            "/api/v1/create_session", content=b"{not json", headers={"content-type": "application/json"}
        ),
        400,
        "malformed-json",
        "not valid JSON",
    ),
    "empty-body": (lambda s: s.http.post("/api/v1/create_session"), 400, "empty-body", "needs a JSON body"),
    "json-nested-past-the-parser": (
        _deep("/api/v1/create_session", b"[", b"]", 100_000),
        400,
        "json-too-deep",
        "deeper",
    ),
    "json-nested-past-pydantic": (_deep("/api/v1/get_info", b"[", b"]", 500), 400, "json-too-deep", "deeper"),
    "json-objects-nested-deep": (
        _deep("/api/v1/retrieve_future", b'{"a":', b"}", 5_000),
        400,
        "json-too-deep",
        "deeper",
    ),
    "json-nested-in-protobuf-endpoint": (
        _deep("/api/v1/forward_backward", b"[", b"]", 50_000),
        400,
        "json-too-deep",
        "deeper",
    ),
    "json-array": (_post_json("/api/v1/create_session", [1, 2]), 422, "invalid-body", "JSON object"),
    "invalid-utf8": (
        lambda s: s.http.post(
            "/api/v1/get_info", content=b'{"model_id": "\xff"}', headers={"content-type": "application/json"}
        ),
        400,
        "malformed-json",
        "not valid JSON",
    ),
    "wrong-type-tag": (
        _post_json(
            "/api/v1/create_session", {"tags": [], "user_metadata": {}, "sdk_version": "x", "type": "create_model"}
        ),
        422,
        "invalid-body",
        "type",
    ),
    "missing-required-field": (
        _post_json("/api/v1/create_session", {"tags": [], "user_metadata": {}}),
        422,
        "invalid-body",
        "sdk_version",
    ),
    "unknown-field": (
        _post_json("/api/v1/get_info", {"model_id": "m", "surprise": 1}),
        422,
        "invalid-body",
        "surprise",
    ),
    "wrong-field-type": (
        lambda s: s.http.post(
            "/api/v1/create_model",
            json={"session_id": s.session_id, "model_seq_id": "first", "base_model": "Qwen/Qwen3-8B"},
        ),
        422,
        "invalid-body",
        "model_seq_id",
    ),
    "unknown-model-id": (
        _post_json("/api/v1/get_info", {"model_id": "nope:train:0"}),
        404,
        "training-run-not-found",
        "nope:train:0",
    ),
    "unknown-request-id": (
        _post_json("/api/v1/retrieve_future", {"request_id": "req-missing"}),
        404,
        "future-not-found",
        "req-missing",
    ),
    "bad-tinker-path": (
        _post_json("/api/v1/weights_info", {"tinker_path": "tinker://run-1/weights"}),
        400,
        "invalid-tinker-path",
        "tinker://run-1/weights",
    ),
    "corrupt-protobuf": (
        lambda s: s.http.post(
            "/api/v1/forward_backward",
            content=b"\x0a\xff\xff\xff\x0f",
            headers={"content-type": "application/x-protobuf"},
        ),
        400,
        "malformed-protobuf",
        "ForwardBackwardRequest",
    ),
    "tensor-bytes-not-whole": (
        lambda s: s.http.post(
            "/api/v1/forward_backward",
            headers={"content-type": "application/x-protobuf"},
            content=pb.ForwardBackwardRequest(
                model_id=s.model_id,
                seq_id=1,
                loss_fn="cross_entropy",
                data=[pb.Datum(model_input=[pb.Chunk(encoded_text=pb.EncodedTextChunk(tokens=b"\x01\x00\x00"))])],
            ).SerializeToString(),
        ),
        400,
        "malformed-protobuf",
        "tokens",
    ),
    "corrupt-zstd": (
        lambda s: s.http.post(
            "/api/v1/forward_backward",
            content=b"not zstd at all",
            headers={"content-type": "application/x-protobuf", "content-encoding": "zstd"},
        ),
        400,
        "corrupt-zstd",
        "zstd",
    ),
    "wrong-content-type": (
        lambda s: s.http.post("/api/v1/forward_backward", content=b"x", headers={"content-type": "text/plain"}),
        415,
        "unsupported-media-type",
        "application/x-protobuf",
    ),
    "seq-id-backwards": (_seq_backwards, 400, "seq-id-reused", "seq_id 1"),
    "missing-api-key": (
        lambda s: s.http.get("/api/v1/get_server_capabilities", headers={"X-API-Key": ""}),
        401,
        "missing-api-key",
        "X-API-Key",
    ),
    "malformed-api-key": (
        lambda s: s.http.get("/api/v1/get_server_capabilities", headers={"X-API-Key": "sk-1"}),
        401,
        "malformed-api-key",
        "tml-",
    ),
    "unknown-endpoint": (lambda s: s.http.get("/api/v1/no_such_thing"), 404, "no-such-endpoint", "no_such_thing"),
    "wrong-method": (lambda s: s.http.get("/api/v1/create_session"), 405, "method-not-allowed", "POST"),
    "unsupported-base-model": (
        lambda s: s.http.post(
            "/api/v1/create_model",
            json={"session_id": s.session_id, "model_seq_id": 1, "base_model": "acme/not-a-model"},
        ),
        400,
        "unsupported-base-model",
        "acme/not-a-model",
    ),
    "bad-query-value": (
        lambda s: s.http.get("/api/v1/training_runs", params={"limit": "-3"}),
        422,
        "invalid-body",
        "limit",
    ),
    "checkpoint-name-with-slash": (
        lambda s: s.http.post("/api/v1/save_weights", json={"model_id": s.model_id, "path": "a/b", "seq_id": 1}),
        400,
        "invalid-checkpoint-name",
        "a/b",
    ),
    "foreign-session": (_foreign_session, 404, "session-not-found", "session"),
    "publish-twice": (_publish_twice, 409, "already-public", "already public"),
    "unknown-sampler": (
        lambda s: s.http.get(f"/api/v1/samplers/{s.session_id}:sample:9"),
        404,
        "sampler-not-found",
        ":sample:9",
    ),
    "zstd-forbidden-encoding": (
        lambda s: s.http.post(
            "/api/v1/forward_backward",
            content=b"x",
            headers={"content-type": "application/x-protobuf", "content-encoding": "br"},
        ),
        415,
        "unsupported-content-encoding",
        "br",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gets_a_clear_4xx_and_the_server_keeps_serving(setup: Setup, case: str) -> None:
    send, status, code, mention = CASES[case]
    response = send(setup)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content) > 0
    body = response.json()
    assert body["code"] == code
    assert mention in body["detail"], body["detail"]
    assert body["method"] == response.request.method and body["path"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]

    entry = setup.mock.journal.entries()[-1]
    assert entry.http_request_id == body["request_id"]
    assert entry.response_violations == [], entry.response_violations

    follow_up = setup.http.post("/api/v1/get_info", json={"model_id": setup.model_id})
    assert follow_up.status_code == 200 and follow_up.json()["model_id"] == setup.model_id


def test_session_errors_name_the_session(setup: Setup) -> None:
    setup.http.post(f"/api/v1/sessions/{setup.session_id}/finish", json={"reason": {"type": "success"}, "detail": None})
    beat = setup.http.post("/api/v1/session_heartbeat", json={"session_id": setup.session_id})
    assert beat.status_code == 410
    assert beat.json()["session_id"] == setup.session_id
    assert json.loads(beat.content)["code"] == "session-finished"


def test_request_violations_are_journaled(setup: Setup) -> None:
    setup.http.post("/api/v1/get_info", json={"model_id": setup.model_id, "surprise": True})
    entry = setup.mock.journal.entries()[-1]
    assert any("surprise" in v for v in entry.request_violations), entry.request_violations


def test_zstd_bodies_are_accepted(setup: Setup) -> None:
    body = pb.ForwardBackwardRequest(
        model_id=setup.model_id, seq_id=1, loss_fn="cross_entropy", data=[]
    ).SerializeToString()
    response = setup.http.post(
        "/api/v1/forward_backward",
        content=zstandard.ZstdCompressor().compress(body),
        headers={"content-type": "application/x-protobuf", "content-encoding": "zstd"},
    )
    assert response.status_code == 200
    result = setup.http.post("/api/v1/retrieve_future", json={"request_id": response.json()["request_id"]})
    assert result.json() == {"error": "data: No data provided", "category": "user"}
