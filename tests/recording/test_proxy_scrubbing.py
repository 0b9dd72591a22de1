"""The recording proxy on its own: compressed protobuf secrets, configured fields, an unreachable upstream.

Raw HTTP, no SDK: a zstd-compressed ``/forward_backward`` body (protocol reference §2.1, §7.1) with a
key planted in a ``loss_fn_config_v2`` text value and a configured field is forwarded to a mock; the
cassette must hold neither, the protobuf must stay decodable, and its readable view must show the tags.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import zstandard
from recording_support import planted_left

from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.recording import AppServer, RecordingProxy, ScrubRules, read_cassette

PLANTED = "tml-planted-in-zstd-protobuf-77"
RUN_NAME = "secret-project-codename"


def test_compressed_protobuf_and_configured_fields_are_scrubbed(tinker_mock: MockTinker, tmp_path: Path) -> None:
    path = tmp_path / "raw.yaml"
    proxy = RecordingProxy(tinker_mock.base_url, path, ScrubRules.of(fields=["model_id"]))
    message = pb.ForwardBackwardRequest(model_id=f"{RUN_NAME}:train:0", seq_id=1, loss_fn="cross_entropy")
    message.loss_fn_config_v2["note"].text = PLANTED
    body = zstandard.ZstdCompressor().compress(message.SerializeToString())
    headers = {
        "content-type": "application/x-protobuf",
        "content-encoding": "zstd",
        "x-api-key": tinker_mock.api_key,
    }
    with AppServer(proxy) as server:
        answer = httpx.post(server.base_url + "/api/v1/forward_backward", content=body, headers=headers)
        httpx.get(server.base_url + f"/api/v1/training_runs/{RUN_NAME}:train:0", headers=headers)
    proxy.close()
    assert answer.status_code < 500
    (fwd, run) = read_cassette(path).interactions
    assert fwd.tinker.request_encoding == "zstd" and fwd.request.header("content-encoding") is None
    stored = pb.ForwardBackwardRequest.FromString(fwd.request.body)  # still the exact protobuf, re-encoded
    assert stored.loss_fn_config_v2["note"].text.startswith("<redacted:")
    assert stored.model_id.startswith("<redacted:") and stored.seq_id == 1
    assert fwd.tinker.request_view["message"]["model_id"] == stored.model_id
    assert RUN_NAME not in run.request.uri and stored.model_id in run.request.uri  # the learned value, everywhere
    text = path.read_text(encoding="utf-8")
    assert PLANTED not in text and RUN_NAME not in text and tinker_mock.api_key not in text
    assert planted_left(path) == []
    assert read_cassette(path).header["scrubbed_fields"] == ["model_id"]


def test_unreachable_upstream_is_a_json_502_and_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "none.yaml"
    proxy = RecordingProxy("http://127.0.0.1:9/services/tinker?token=tml-in-the-upstream-url-00", path)
    with AppServer(proxy) as server:
        answer = httpx.post(server.base_url + "/api/v1/create_session", json={"tags": []})
    proxy.close()
    assert answer.status_code == 502
    payload = answer.json()
    assert payload["code"] == "upstream-unreachable" and payload["method"] == "POST"
    assert payload["path"] == "/api/v1/create_session" and payload["request_id"].startswith("record-")
    assert "tml-in-the-upstream-url" not in answer.text
    assert read_cassette(path).interactions == []
    assert "tml-in-the-upstream-url" not in path.read_text(encoding="utf-8")
