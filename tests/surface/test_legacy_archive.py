"""The legacy checkpoint archive flow (versions reference §7 and §10 item 10).

``tinker==0.30.4`` (the last SDK with ``get_checkpoint_archive_url``) runs in its own virtual
environment (:func:`scenarios.sdk_envs.ensure_sdk_env`), in a subprocess, against a mock in this
process: its CLI downloads through a 503 (``Retry-After: 1``, which its Stainless layer honours)
and a 302; a driver script takes the 200-JSON answer, and an expired and a tampered signature.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from surface_support import ALICE, BOB, entries, frozen_clock, http, no_violations

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.exports import archive_files
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.state import CheckpointRecord
from tinker_harness.mock_server.state_setup import add_checkpoint, add_run
from tinker_harness.scenarios.sdk_envs import ensure_sdk_env

pytestmark = pytest.mark.sdk

LEGACY = "0.30.4"
REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).parent / "drivers" / "archive_0_30.py"
ARCHIVE_FILES = ["adapter_config.json", "adapter_model.safetensors", "checkpoint_complete", "checkpoint_state.npz"]


@pytest.fixture(scope="module")
def legacy_python() -> Path:
    root = None if "TINKER_HARNESS_SDK_ENVS" in os.environ else REPO / ".sdk-envs"
    return ensure_sdk_env(LEGACY, root)


def _env(mock: MockTinker, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TINKER_", "CLOUDFLARE_"))}
    env.update(TINKER_BASE_URL=mock.base_url, TINKER_API_KEY=ALICE, HOME=str(home), HF_HUB_OFFLINE="1")
    return env


def _hashes(record: CheckpointRecord) -> dict[str, str]:
    return {name: hashlib.sha256(content).hexdigest() for name, content in archive_files(record).items()}


def _checkpoint(mock: MockTinker) -> CheckpointRecord:
    return add_checkpoint(mock.server, add_run(mock.server, ALICE), "weights", "final")


def test_legacy_cli_download_waits_out_a_503_then_follows_the_302(
    tinker_mock_factory: Callable[..., MockTinker], legacy_python: Path, tmp_path: Path
) -> None:
    config = ServerConfig(archive_not_ready_polls=1, archive_retry_after_seconds=1.0)
    mock = tinker_mock_factory(config, frozen_clock())
    record = _checkpoint(mock)
    command = [str(legacy_python.parent / "tinker"), "-f", "json", "checkpoint", "download", record.tinker_path]
    done = subprocess.run(
        [*command, "-o", str(tmp_path / "out")], env=_env(mock, tmp_path), capture_output=True, text=True, timeout=150
    )
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    destination = Path(output["destination"])
    assert sorted(p.name for p in destination.iterdir()) == ARCHIVE_FILES
    assert (destination / "checkpoint_state.npz").read_bytes() == record.state  # the stored state, round-tripped
    adapter = "adapter_model.safetensors"
    assert (destination / adapter).read_bytes() == archive_files(record)[adapter]

    archive = entries(mock, endpoint="checkpoint_archive")
    assert [e.status for e in archive] == [503, 302]
    assert archive[0].response_headers["retry-after"] == "1" and archive[0].fault
    assert "being prepared" in archive[0].response_body["detail"]
    assert archive[0].request_headers["x-stainless-retry-count"] == "0"
    assert archive[1].request_headers["x-stainless-retry-count"] == "1"  # the Stainless layer retried the 503
    assert archive[1].sdk_version == LEGACY and "application/json" in archive[1].request_headers["accept"]
    location = archive[1].response_headers["location"]
    assert location.startswith(f"{mock.base_url}/_harness/files/") and "signature=" in location
    expires = parsedate_to_datetime(archive[1].response_headers["expires"])
    assert expires.timestamp() == pytest.approx(mock.clock.now() + 3600, abs=1)
    download = entries(mock, where=lambda e: e.path.startswith("/_harness/files/"))
    assert [e.status for e in download] == [200]
    assert int(download[0].response_headers["content-length"]) == output["file_size_bytes"] > 0
    assert "x-api-key" not in download[0].request_headers  # the signature is the only credential
    assert no_violations(mock) == []


def test_legacy_sdk_takes_the_json_answer(
    tinker_mock_factory: Callable[..., MockTinker], legacy_python: Path, tmp_path: Path
) -> None:
    mock = tinker_mock_factory(ServerConfig(archive_answer="json"), frozen_clock())
    record = _checkpoint(mock)
    done = subprocess.run(
        [str(legacy_python), str(DRIVER), mock.base_url, ALICE, record.tinker_path, "download"],
        env=_env(mock, tmp_path),
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr
    url_line, download_line = (json.loads(line) for line in done.stdout.splitlines())
    answer = entries(mock, endpoint="checkpoint_archive")[-1]
    assert answer.status == 200 and answer.response_body["url"] == url_line["url"]
    download = download_line["download"]
    assert download["status"] == 200 and int(download["content_length"]) == download["bytes"]
    assert download["members"] == _hashes(record)
    assert no_violations(mock) == []


def test_legacy_sdk_sees_expired_and_tampered_signatures_refused(
    tinker_mock_factory: Callable[..., MockTinker], legacy_python: Path, tmp_path: Path
) -> None:
    clock = frozen_clock()
    mock = tinker_mock_factory(clock=clock)
    record = _checkpoint(mock)
    with subprocess.Popen(
        [str(legacy_python), str(DRIVER), mock.base_url, ALICE, record.tinker_path, "wait"],
        env=_env(mock, tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as driver:
        assert driver.stdin is not None and driver.stdout is not None
        first = json.loads(driver.stdout.readline() or "null")
        assert first is not None, driver.stderr.read() if driver.stderr else ""
        clock.advance(3601)  # the signed URL's hour runs out on the server clock
        driver.stdin.write("go\n")
        driver.stdin.flush()
        second = json.loads(driver.stdout.readline())
        assert driver.wait(timeout=60) == 0
    assert entries(mock, endpoint="checkpoint_archive")[-1].status == 302
    expired, tampered = second["download"], second["tampered"]
    assert expired["status"] == 403 and expired["body"]["code"] == "expired-url"
    assert "expired" in expired["body"]["detail"]
    assert tampered["status"] == 403 and tampered["body"]["code"] == "bad-signature"


def test_archive_endpoint_preparation_ownership_and_headers(tinker_mock_factory: Callable[..., MockTinker]) -> None:
    clock = frozen_clock()
    mock = tinker_mock_factory(ServerConfig(archive_not_ready_seconds=30, archive_retry_after_seconds=0.25), clock)
    record = _checkpoint(mock)
    sampler = add_checkpoint(mock.server, mock.server.state.runs[record.run_id], "sampler_weights", "s")
    path = f"/training_runs/{record.run_id}/checkpoints/{record.checkpoint_id}/archive"
    with http(mock, ALICE) as alice, http(mock, BOB) as bob:
        legacy_accept = [("accept", "application/json"), ("accept", "application/gzip")]  # what 0.15/0.22 send
        for _ in range(2):
            waiting = alice.get(path, headers=legacy_accept)
            assert waiting.status_code == 503 and waiting.headers["retry-after-ms"] == "250"
        clock.advance(30)
        ready = alice.get(path, follow_redirects=False)
        assert ready.status_code == 302
        content = httpx.get(ready.headers["location"])
        assert content.status_code == 200 and content.headers["content-type"] == "application/gzip"
        assert int(content.headers["content-length"]) == len(content.content)

        assert bob.get(path).status_code == 404  # private: another key cannot tell it exists
        assert alice.post(f"/training_runs/{record.run_id}/checkpoints/{record.checkpoint_id}/publish").is_success
        assert bob.get(path, follow_redirects=False).status_code == 302  # public checkpoints are downloadable
        sampler_path = f"/training_runs/{record.run_id}/checkpoints/{sampler.checkpoint_id}/archive"
        assert alice.get(sampler_path, follow_redirects=False).status_code == 503  # each archive is prepared anew
        wrong = alice.get(f"/training_runs/{record.run_id}/checkpoints/logs/final/archive")
        assert wrong.status_code == 400 and wrong.json()["code"] == "invalid-checkpoint-id"

        url = alice.get(path, follow_redirects=False).headers["location"]
        assert alice.delete(f"/training_runs/{record.run_id}/checkpoints/{record.checkpoint_id}").is_success
        gone = httpx.get(url)
        assert gone.status_code == 404 and gone.json()["code"] == "file-not-found"
    statuses = [e.status for e in entries(mock, endpoint="checkpoint_archive")]
    assert statuses == [503, 503, 302, 404, 302, 503, 400, 302]
    assert no_violations(mock) == []
