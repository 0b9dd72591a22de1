"""`tinker-harness serve`: prints the base URL and env vars, serves, stops cleanly; bad input exits 2."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest


def _start(*args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tinker_harness", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(3)]
    url = lines[0].rsplit(" ", 1)[-1].strip()
    return process, url, lines


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_how_to_connect_and_stops_cleanly(stop_signal: signal.Signals, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    process, url, lines = _start("--port", "0", "--journal", str(journal))
    try:
        assert url.startswith("http://127.0.0.1:")
        assert f"export TINKER_BASE_URL={url}" in lines[1]
        assert "export TINKER_API_KEY=tml-" in lines[2]
        caps = httpx.get(f"{url}/api/v1/get_server_capabilities", headers={"X-API-Key": "tml-cli-secret-key"})
        assert caps.status_code == 200 and caps.json()["supported_models"]
    finally:
        process.send_signal(stop_signal)
        assert process.wait(timeout=20) == 0
    record = json.loads(journal.read_text().splitlines()[0])
    assert record["path"] == "/api/v1/get_server_capabilities"
    assert "tml-cli-secret-key" not in journal.read_text()  # secrets never reach disk
    assert record["request_headers"]["x-api-key"].startswith("<redacted:")


def test_serve_binds_loopback_by_default() -> None:
    process, url, _ = _start("--port", "0")
    try:
        assert url.startswith("http://127.0.0.1:")
    finally:
        process.terminate()
        process.wait(timeout=20)


def _exit_of(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinker_harness", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_bad_flags_exit_2_with_a_message() -> None:
    done = _exit_of("serve", "--port", "not-a-port")
    assert done.returncode == 2 and "expected a port number" in done.stderr


def test_bad_config_file_exits_2_naming_file_and_field(tmp_path: Path) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("long_poll_timeout: -5\nsurprise: 1\n")
    done = _exit_of("serve", "--config", str(config))
    assert done.returncode == 2
    assert str(config) in done.stderr and "long_poll_timeout" in done.stderr and "surprise" in done.stderr


def test_unreadable_config_exits_2(tmp_path: Path) -> None:
    done = _exit_of("serve", "--config", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2 and "cannot read config file" in done.stderr


def test_port_in_use_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = _exit_of("serve", "--port", str(taken.getsockname()[1]))
    assert done.returncode == 2 and "cannot listen" in done.stderr


def test_openapi_command_prints_the_document() -> None:
    done = _exit_of("openapi")
    assert done.returncode == 0 and json.loads(done.stdout)["openapi"] == "3.1.0"
