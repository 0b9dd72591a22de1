"""Serving a :class:`MockServer` (or any ASGI app: the recording proxy, the replay server) over
loopback: in the foreground (CLI) or a background thread (tests).

The listening socket is bound before uvicorn starts, so the port is known (port 0 picks a free
one) and the kernel queues connections that arrive while uvicorn is still starting. The server's
``public_url`` (used in signed download URLs) is set from the bound address.
"""

from __future__ import annotations

import gc
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal, Self

import uvicorn
from starlette.types import ASGIApp

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.connections import TrackedHttpToolsProtocol

__all__ = ["AppServer", "BackgroundServer", "bind_socket", "serve_app_forever", "serve_forever", "socket_url"]


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose protocol says TCP,
    # and without it every response body waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _uvicorn(
    app: ASGIApp, log_level: str, *, lifespan: Literal["on", "off"] = "on", mock: bool = False
) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        # The mock's own connections are tracked so transport faults can cut them (mock_server.connections).
        http=TrackedHttpToolsProtocol if mock else "auto",
        loop="asyncio",  # the same event loop whether or not uvloop happens to be installed
        log_level=log_level,
        lifespan=lifespan,
        access_log=log_level == "debug",
        timeout_keep_alive=75,  # longer than the SDK's 45 s long-poll read timeout (protocol §6.1)
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


def serve_app_forever(app: ASGIApp, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Serve any ASGI app (the recording proxy, the replay server) until SIGINT/SIGTERM."""
    _run_until_signal(_uvicorn(app, log_level), sock)


def serve_forever(server: MockServer, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Serve the mock until SIGINT/SIGTERM, then return normally (exit status 0 for the CLI)."""
    server.public_url = socket_url(sock)
    _tune_gc_for_serving()
    _run_until_signal(_uvicorn(server.app, log_level, lifespan="off", mock=True), sock)


def _tune_gc_for_serving() -> None:
    """In a process that only serves: what start-up built (catalogue, models, modules) is never
    collected, and young collections run less often. A collection pauses every request in flight;
    under load at ×16 the defaults put 25 ms pauses into create_session's p99 (4 ms after this)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def _run_until_signal(serving: uvicorn.Server, sock: socket.socket) -> None:
    """uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises them to the handlers that
    were installed before it started; quiet handlers here turn that into a normal return."""

    def stop(signum: int, frame: object) -> None:  # also covers a signal that lands before uvicorn starts
        serving.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        serving.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class AppServer:
    """An ASGI app on a loopback port, served from a daemon thread; a context manager."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        _serving: Callable[[ASGIApp, str], uvicorn.Server] | None = None,
    ) -> None:
        self.app = app
        self._sock = bind_socket(host, port)
        self.base_url = socket_url(self._sock)
        self._uvicorn = (_serving or _uvicorn)(app, log_level)
        self._thread = threading.Thread(
            target=self._uvicorn.run,
            kwargs={"sockets": [self._sock]},
            name=f"tinker-harness {self.base_url}",
            daemon=True,
        )

    def start(self, timeout: float = 10.0) -> Self:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._uvicorn.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"server thread for {self.base_url} exited during startup")
            if time.monotonic() > deadline:
                raise TimeoutError(f"server on {self.base_url} did not start within {timeout}s")
            time.sleep(0.002)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._uvicorn.should_exit = True
        self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class BackgroundServer(AppServer):
    """A mock server on a loopback port, served from a daemon thread; a context manager."""

    def __init__(
        self, server: MockServer | None = None, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
    ) -> None:
        self.server = server or MockServer()
        super().__init__(
            self.server.app,
            host=host,
            port=port,
            log_level=log_level,
            _serving=lambda app, level: _uvicorn(app, level, lifespan="off", mock=True),
        )
        self.server.public_url = self.base_url

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        self.server.journal.close()
