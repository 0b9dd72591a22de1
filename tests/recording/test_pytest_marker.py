"""The ``tinker_cassette`` pytest marker: record a test's Tinker traffic with vcrpy, then replay it offline.

An inner test file (run by a child pytest, so its cassette lives in a temporary directory) records
the official SDK's RestClient against a mock whose config asks for the pyqwest transport, then
replays the cassette with ``record_mode="none"`` against an address where nothing listens. A
misspelt record mode fails at setup and lists the valid ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from recording_support import API_KEY, planted_left

from tinker_harness.mock_server.recording import read_cassette

pytestmark = pytest.mark.sdk

INNER = """
import pytest
import tinker

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import start_mock

CASSETTE = "cassettes/capabilities.yaml"
KEY = "{key}"


@pytest.mark.tinker_cassette(CASSETTE, record_mode="once")
def test_record(tinker_cassette):
    mock = start_mock(ServerConfig(client_config={{"use_pyqwest_transport": True}}), api_key=KEY)
    try:
        rest = tinker.RestClient(base_url=mock.base_url, api_key=KEY)
        names = [m.model_name for m in rest.get_server_capabilities().result().supported_models]
    finally:
        mock.stop()
    assert "Qwen/Qwen3-8B" in names
    assert tinker_cassette.record_mode.value == "once" and tinker_cassette.pyqwest_redirected == []


@pytest.mark.tinker_cassette(CASSETTE, record_mode="none")
def test_replay(tinker_cassette):
    rest = tinker.RestClient(base_url="http://127.0.0.1:9", api_key="tml-some-other-key")
    names = [m.model_name for m in rest.get_server_capabilities().result().supported_models]
    assert "Qwen/Qwen3-8B" in names
    assert tinker_cassette.play_count >= 3


@pytest.mark.tinker_cassette(CASSETTE, record_mode="sometimes")
def test_bad_mode():
    pass
"""


def test_marker_records_then_replays_offline(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER.format(key=API_KEY), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TINKER_", "CLOUDFLARE_", "PYTEST_"))}
    env |= {"HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert "2 passed, 1 error" in output, output
    assert "'sometimes' is not a record mode; valid modes are 'once', 'none', 'new_episodes', 'all'" in output
    cassette_path = tmp_path / "cassettes" / "capabilities.yaml"
    cassette = read_cassette(cassette_path)
    assert cassette.header["recorder"] == "vcrpy"
    assert [i.tinker.endpoint for i in cassette.interactions][:2] == ["client_config", "client_dynamic_config"]
    assert "get_server_capabilities" in [i.tinker.endpoint for i in cassette.interactions]
    assert all((i.request.header("x-api-key") or "").startswith("<redacted:") for i in cassette.interactions)
    assert planted_left(cassette_path) == []
