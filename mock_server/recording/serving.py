"""Serving the recording proxy and the replay server over loopback (foreground or a background thread).

The same arrangement as :mod:`mock_server.runner` (which serves a ``MockServer`` only): the socket is
bound before uvicorn starts (port 0 picks a free port, connections that arrive early are queued),
and SIGINT/SIGTERM end the foreground server normally. Apps get the ASGI lifespan protocol, so
the proxy can close its upstream connections on shutdown.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from mock_server.runner import bind_socket

__all__ = ["AppServer", "serve_app_forever", "socket_url"]


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _uvicorn(app: ASGIApp, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="on",
        access_log=log_level == "debug",
        timeout_keep_alive=75,  # longer than the SDK's 45 s long-poll read timeout (protocol §6.1)
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


def serve_app_forever(app: ASGIApp, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Serve until SIGINT/SIGTERM, then return normally."""
    serving = _uvicorn(app, log_level)

    def stop(signum: int, frame: object) -> None:
        serving.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        serving.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class AppServer:
    """An ASGI app on a loopback port, served from a daemon thread; a context manager."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        self.app = app
        self._sock = bind_socket(host, port)
        self.base_url = socket_url(self._sock)
        self._uvicorn = _uvicorn(app, log_level)
        self._thread = threading.Thread(
            target=self._uvicorn.run,
            kwargs={"sockets": [self._sock]},
            name=f"tinker-harness {self.base_url}",
            daemon=True,
        )

    def start(self, timeout: float = 10.0) -> AppServer:
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

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
