"""Serving the recording proxy and the replay server over loopback: the general ASGI serving of
:mod:`mock_server.runner` (socket bound before uvicorn starts, lifespan on so the proxy can close
its upstream connections, SIGINT/SIGTERM end the foreground server normally)."""

from __future__ import annotations

from tinker_harness.mock_server.runner import AppServer, serve_app_forever, socket_url

__all__ = ["AppServer", "serve_app_forever", "socket_url"]
