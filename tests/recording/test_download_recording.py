"""The recording proxy follows the legacy archive's 302 to its signed download and records the archive
bytes with the signature scrubbed; the replay server sends the redirect back to itself and serves
the recorded archive (protocol reference §13), with the upstream gone."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.recording import AppServer, ReplayApp, read_cassette
from tinker_harness.mock_server.recording.proxy import RecordingProxy
from tinker_harness.mock_server.runner import BackgroundServer
from tinker_harness.mock_server.state_setup import add_checkpoint, add_run
from tinker_harness.scenarios.sdk_envs import ensure_sdk_env

API_KEY = "tml-download-owner-5e2c"
LEGACY = "0.30.4"  # the last SDK with the archive download (302 to a signed URL)
REPO = Path(__file__).resolve().parents[2]


def _archive_path(server: MockServer) -> str:
    run = add_run(server, API_KEY)
    record = add_checkpoint(server, run, "weights", "final")
    return f"/api/v1/training_runs/{record.run_id}/checkpoints/{record.checkpoint_id}/archive"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, bytes, str]:
    """(cassette, archive path, the archive bytes the live service served, the live signed URL)."""
    cassette = tmp_path_factory.mktemp("downloads") / "archive.yaml"
    with BackgroundServer() as upstream:
        path = _archive_path(upstream.server)
        proxy = RecordingProxy(upstream.base_url, cassette)
        with AppServer(proxy) as recorder:
            redirect = httpx.get(recorder.base_url + path, headers={"X-API-Key": API_KEY})
            assert redirect.status_code == 302, redirect.text
            signed = redirect.headers["location"]
            archive = httpx.get(signed).content  # the client's own download, straight from the upstream
        proxy.close()
    return cassette, path, archive, signed


def test_the_proxy_records_the_redirect_and_the_archive_without_the_signature(
    recorded: tuple[Path, str, bytes, str],
) -> None:
    cassette_path, path, archive, signed = recorded
    cassette = read_cassette(cassette_path)
    redirect, download = sorted(cassette.interactions, key=lambda i: i.tinker.seq)
    assert redirect.response.status == 302 and redirect.tinker.endpoint == "checkpoint_archive"
    assert download.request.method == "GET" and download.response.status == 200
    assert download.response.body == archive and download.tinker.notes == {"followed_redirect": True}
    signature = signed.split("signature=", 1)[1].split("&", 1)[0]
    text = cassette_path.read_text(encoding="utf-8")
    assert signature not in text and "signature=<redacted:" in redirect.response.header("location")  # type: ignore[operator]
    assert API_KEY not in text


def test_the_replay_server_serves_the_recorded_download_from_itself(recorded: tuple[Path, str, bytes, str]) -> None:
    cassette_path, path, archive, _ = recorded
    with AppServer(ReplayApp(read_cassette(cassette_path))) as replay:
        redirect = httpx.get(replay.base_url + path, headers={"X-API-Key": "tml-someone-replaying"})
        assert redirect.status_code == 302
        location = redirect.headers["location"]
        assert location.startswith(replay.base_url + "/")  # back to the replay, not to the recorded host
        download = httpx.get(location)
    assert download.status_code == 200 and download.content == archive
    assert download.headers["content-type"] == "application/gzip"


@pytest.mark.sdk
def test_the_legacy_sdk_cli_downloads_the_archive_from_a_replay(tmp_path: Path) -> None:
    """``tinker checkpoint download`` of SDK 0.30.4 (302 + signed URL), recorded live, then replayed offline."""
    legacy = ensure_sdk_env(LEGACY, None if "TINKER_HARNESS_SDK_ENVS" in os.environ else REPO / ".sdk-envs")
    cassette = tmp_path / "cli.yaml"

    def download(base_url: str, out: Path) -> dict[str, bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TINKER_", "CLOUDFLARE_"))}
        env.update(TINKER_BASE_URL=base_url, TINKER_API_KEY=API_KEY, HOME=str(tmp_path), HF_HUB_OFFLINE="1")
        command = [str(legacy.parent / "tinker"), "-f", "json", "checkpoint", "download", tinker_path, "-o", str(out)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        destination = Path(json.loads(done.stdout)["destination"])
        return {p.name: p.read_bytes() for p in destination.iterdir()}

    with BackgroundServer() as upstream:
        record = add_checkpoint(upstream.server, add_run(upstream.server, API_KEY), "weights", "final")
        tinker_path = record.tinker_path
        proxy = RecordingProxy(upstream.base_url, cassette)
        with AppServer(proxy) as recorder:
            live = download(recorder.base_url, tmp_path / "live")
        proxy.close()
    with AppServer(ReplayApp(read_cassette(cassette))) as replay:
        replayed = download(replay.base_url, tmp_path / "replayed")
    assert replayed == live and "checkpoint_state.npz" in live
