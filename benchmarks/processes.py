"""Servers under test as child processes: the mock's CLI, a server variant, or Prism; start, readiness, RSS, stop.

Every server runs in its own process so its CPU and resident memory are its own, and the load
generator (a separate process too) talks to it over loopback like any client would.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from benchmarks.measure import cpu_seconds, rss_mb

ROOT = Path(__file__).resolve().parents[1]
READY_PATH = "/api/v1/healthz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[str], timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before answering {url}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout} s")
        time.sleep(0.005)


class ServerProcess:
    """A server command in a child process; ``base_url`` is known once started."""

    def __init__(self, label: str, command: Sequence[str], *, port: int | None = None) -> None:
        self.label = label
        self.command = list(command)
        self.port = port  # None: the command prints "... listening on http://host:port" as its first line
        self.base_url = ""
        self.startup_seconds = 0.0
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "server not started"
        return self._process.pid

    def start(self, timeout: float = 60.0) -> Self:
        started = time.perf_counter()
        self._process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            stdout=subprocess.PIPE if self.port is None else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if self.port is None:
            assert self._process.stdout is not None
            self.base_url = self._process.stdout.readline().rsplit(" ", 1)[-1].strip()
            if not self.base_url.startswith("http"):
                self.stop()
                raise RuntimeError(f"{self.label}: no listening URL on stdout (command {self.command})")
        else:
            self.base_url = f"http://127.0.0.1:{self.port}"
        wait_ready(self.base_url + READY_PATH, self._process, timeout)
        self.startup_seconds = time.perf_counter() - started
        return self

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class RssSampler(threading.Thread):
    """Reads a server's resident memory every ``interval`` seconds until stopped."""

    def __init__(self, server: ServerProcess, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MiB)
        self._stop_event = threading.Event()

    def run(self) -> None:
        started = time.perf_counter()
        while not self._stop_event.is_set():
            self.samples.append((time.perf_counter() - started, self.server.rss_mb()))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.samples.append((self.samples[-1][0] if self.samples else 0.0, self.server.rss_mb()))

    @property
    def peak(self) -> float:
        return max(mib for _, mib in self.samples)


def mock_cli(*extra: str) -> ServerProcess:
    """``tinker-harness serve`` exactly as a user runs it (default server stack)."""
    return ServerProcess("mock", [sys.executable, "-m", "tinker_harness", "serve", "--port", "0", *extra])


def mock_variant(variant: str) -> ServerProcess:
    """The mock under another ASGI server or uvicorn option (:mod:`benchmarks.variants`)."""
    port = free_port()
    return ServerProcess(variant, [sys.executable, "-m", "benchmarks.variants", variant, str(port)], port=port)
