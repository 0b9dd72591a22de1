"""What answers on a stopped per-test server's port: a 410 saying why, instead of a refused connection.

The official SDK keeps process-wide connection holders keyed by the ``base_url``/``api_key``
*arguments* (``tinker/lib/internal_client_holder.py``, ``_SessionlessHolderCache``): the first
``tinker.RestClient()`` without arguments resolves ``TINKER_BASE_URL`` once and keeps that server
for the life of the process. With a server per test, a later test's ``RestClient()`` talks to an
earlier test's stopped server; a refused connection is retried by the SDK for minutes, so the test
hangs. A tombstone on that port answers every request at once with a 410 (``x-should-retry:
false``, which the SDK obeys) whose detail says what happened and what to do, so the test fails fast.

All tombstones share one daemon thread and event loop; each holds only its listening socket. The
newest :data:`MAX_TOMBSTONES` are kept.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections import deque

__all__ = ["MAX_TOMBSTONES", "STOPPED_DETAIL", "leave_tombstone"]

MAX_TOMBSTONES = 256
STOPPED_DETAIL = (
    "this mock Tinker server ({url}) was stopped when its test ended, but a client still uses it: "
    "tinker.RestClient() (and other clients) without arguments keep the first TINKER_BASE_URL they saw for "
    "the whole process; pass base_url=tinker_mock.base_url, api_key=tinker_mock.api_key explicitly"
)

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_servers: deque[asyncio.AbstractServer] = deque()


def _event_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="tinker-harness-tombstones", daemon=True).start()
        return _loop


def _answer(url: str) -> bytes:
    body = json.dumps({"detail": STOPPED_DETAIL.format(url=url), "code": "mock-server-stopped"}).encode()
    head = (
        "HTTP/1.1 410 Gone\r\ncontent-type: application/json\r\nx-should-retry: false\r\n"
        f"connection: close\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _serve(sock: socket.socket, answer: bytes) -> None:
    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            writer.write(answer)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(reply, sock=sock)
    _servers.append(server)
    while len(_servers) > MAX_TOMBSTONES:
        _servers.popleft().close()


def leave_tombstone(host: str, port: int) -> None:
    """Answer 410 on ``host:port`` from now on (quietly nothing if the port was taken meanwhile)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
        sock.setblocking(False)
    except OSError:
        sock.close()
        return
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    asyncio.run_coroutine_threadsafe(_serve(sock, _answer(url)), _event_loop()).result(timeout=10)
