"""Access to the raw connection of a request, for transport faults (reset, truncation, garbage).

ASGI hides the socket. The mock runs uvicorn with :class:`TrackedHttpToolsProtocol`, uvicorn's httptools
protocol (the faster of its parsers) that records each connection's asyncio transport under
``(server address, client address)`` — the same pair every request's scope carries — so a handler
can break its own connection on purpose.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Mapping
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["TrackedHttpToolsProtocol", "break_connection", "transport_of"]

_TRANSPORTS: dict[tuple[Any, Any], asyncio.Transport] = {}


class TrackedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, remembering its transport while the connection lives."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _TRANSPORTS[(self.server, self.client)] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        _TRANSPORTS.pop((self.server, self.client), None)
        super().connection_lost(exc)


def transport_of(scope: Mapping[str, Any]) -> asyncio.Transport | None:
    server, client = scope.get("server"), scope.get("client")
    key = (tuple(server) if server else None, tuple(client) if client else None)
    return _TRANSPORTS.get(key)


def break_connection(transport: asyncio.Transport, fault: str, garbage: bytes = b"") -> None:
    """Break a connection the way ``fault`` says: reset, empty_response, truncated_body or garbage."""
    if fault == "reset":
        sock = transport.get_extra_info("socket")
        if sock is not None:  # SO_LINGER 0: closing sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        return
    if fault == "truncated_body":
        transport.write(
            b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1024\r\n\r\n{"truncated": '
        )
    elif fault == "garbage":
        transport.write(garbage)
    transport.close()
