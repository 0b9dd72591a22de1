"""Start the mock and skyrl-tx on loopback, and time them to their first answer and to being ready for work."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

API_KEY = "tml-benchmark"
MOCK_BASE_MODEL = "Qwen/Qwen3-8B"
# Adapter 0 is reserved by skyrl-tx; one per ready probe and SDK flow, with room to spare.
SKYRL_BACKEND_CONFIG = {"max_lora_adapters": 8, "max_lora_rank": 8}
# skyrl-tx's API server launches its engine as `uv run --extra tinker --extra jax -m tx.tinker.engine ARGS`,
# which needs the SkyRL source checkout. From the PyPI wheel, this `uv` on PATH runs `python -m ...` in the venv.
UV_SHIM = """#!/bin/sh
while [ "$#" -gt 0 ] && [ "$1" != "-m" ]; do shift; done
exec "{python}" "$@"
"""


class ServerFailed(RuntimeError):
    """A server exited or never became ready; the message carries the end of its log."""


@dataclass
class Server:
    name: str
    process: subprocess.Popen[str]
    url: str
    base_model: str
    started: float
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise ServerFailed(f"{self.name} exited with {self.process.returncode}; log {self.log}:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to the server's process group (skyrl-tx's engine is a child), then SIGKILL to what lingers."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            pass
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def answered(server: Server, status: int) -> list[str]:
    """The ``METHOD /path`` of each request in the server's access log that was answered ``status``."""
    pattern = re.compile(rf'"(GET|POST|PUT|DELETE) (\S+) HTTP/[\d.]+" {status}\b')
    return [f"{m[1]} {m[2]}" for m in pattern.finditer(server.log.read_text(errors="replace"))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_mock(work_dir: Path) -> Server:
    """``tinker-harness serve --port 0``; its first stdout line ends with the URL."""
    log = work_dir / "mock.log"
    with log.open("w") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "tinker_harness", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
            start_new_session=True,
        )
    assert process.stdout is not None
    url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
    server = Server("mock", process, url, MOCK_BASE_MODEL, started, log)
    if not url.startswith("http://"):
        server.stop()
        raise ServerFailed(f"mock printed no URL; log {log}:\n{server.log_tail()}")
    return server


def start_skyrl_tx(
    python: Path, model_dir: Path, work_dir: Path, backend_config: dict[str, int] | None = None
) -> Server:
    """``python -m tx.tinker.api`` on 127.0.0.1 with the tiny model, a fresh SQLite DB and checkpoint dir."""
    shim = work_dir / "shim"
    shim.mkdir(parents=True, exist_ok=True)
    (shim / "uv").write_text(UV_SHIM.format(python=python))
    (shim / "uv").chmod(0o755)
    port = _free_port()
    command = [
        str(python), "-m", "tx.tinker.api",
        "--base-model", str(model_dir),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--database-url", f"sqlite:///{work_dir / 'tinker.db'}",
        "--checkpoints-base", str(work_dir / "checkpoints"),
        "--backend-config", json.dumps(backend_config or SKYRL_BACKEND_CONFIG),
    ]  # fmt: skip
    env = {
        **os.environ,
        "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}",
        "JAX_PLATFORMS": "cpu",
        "COLUMNS": "400",
    }
    log = work_dir / "skyrl-tx.log"
    with log.open("w") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=work_dir, env=env, stdout=sink, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
    return Server("skyrl-tx", process, f"http://127.0.0.1:{port}", str(model_dir), started, log)


def wait_first_answer(server: Server, timeout: float = 120.0) -> float:
    """Seconds from process start to the first ``GET /api/v1/healthz`` answered 200."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        server.check_alive()
        try:
            if httpx.get(f"{server.url}/api/v1/healthz", timeout=5).status_code == 200:
                return time.perf_counter() - server.started
        except httpx.TransportError:
            time.sleep(0.005)
    raise ServerFailed(f"{server.name} did not answer healthz within {timeout} s:\n{server.log_tail()}")


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    if response.status_code != 200:
        raise ServerFailed(f"POST {path} answered {response.status_code}: {response.text[:500]}")
    answer: dict[str, Any] = response.json()
    return answer


def wait_ready_for_work(server: Server, timeout: float = 300.0) -> float:
    """Seconds from process start until a LoRA ``create_model`` future (SDK 0.15 JSON, §4.2, §6) has completed."""
    deadline = time.perf_counter() + timeout
    with httpx.Client(base_url=server.url, headers={"X-API-Key": API_KEY}, timeout=timeout) as client:
        session = _post(
            client,
            "/api/v1/create_session",
            {"tags": [], "user_metadata": None, "sdk_version": "0.15.0", "type": "create_session"},
        )
        lora = {"rank": 1, "seed": None, "train_mlp": True, "train_attn": True, "train_unembed": True}
        created = _post(
            client,
            "/api/v1/create_model",
            {
                "session_id": session["session_id"],
                "model_seq_id": 0,
                "base_model": server.base_model,
                "lora_config": lora,
                "user_metadata": None,
                "type": "create_model",
            },
        )
        while time.perf_counter() < deadline:
            server.check_alive()
            result = _post(client, "/api/v1/retrieve_future", {"request_id": created["request_id"]})
            if "model_id" in result:
                return time.perf_counter() - server.started
    raise ServerFailed(f"{server.name}: create_model did not complete within {timeout} s:\n{server.log_tail()}")
