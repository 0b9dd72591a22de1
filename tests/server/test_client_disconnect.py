"""A client that goes away before its body is read (a process exiting mid-request) is not a server bug.

Seen with SDK 0.15 under load: its telemetry flush was cut off when the process ended, and the mock
journalled a 500 with "request body is not valid JSON", failing a conformance scenario.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.journal_entry import JournalEntry
from tinker_harness.mock_server.local import MockTinker


def _cut_off_request(base_url: str, api_key: str, path: str, declared: int, sent: bytes) -> None:
    """Send the headers and part of a body, then close the connection."""
    url = urlsplit(base_url)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {api_key}\r\nContent-Length: {declared}\r\n\r\n"
    )
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as sock:
        sock.sendall(head.encode() + sent)


def _entry_for(mock: MockTinker, path: str, within_s: float = 10.0) -> JournalEntry:
    """The journal entry of ``path``, once the server has finished with the exchange."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        found = [e for e in mock.journal.entries() if e.path == path]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no journal entry for {path} within {within_s} s: {mock.journal.entries()}")


def test_a_body_cut_off_by_the_client_is_journalled_as_a_disconnect_not_a_server_error(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    mock = tinker_mock_factory(ServerConfig(seed=1))
    _cut_off_request(mock.base_url, mock.api_key, "/api/v1/telemetry", declared=400, sent=b'{"events": [')
    entry = _entry_for(mock, "/api/v1/telemetry")
    assert entry.status == 499, entry.describe()
    assert entry.violations == []
    assert entry.notes["client_disconnected"] == "the client closed the connection before its body was read"
    assert entry.response_body["code"] == "client-disconnected"


def test_a_client_gone_before_any_body_byte_is_a_disconnect_too(tinker_mock_factory: Callable[..., MockTinker]) -> None:
    mock = tinker_mock_factory(ServerConfig(seed=1))
    _cut_off_request(mock.base_url, mock.api_key, "/api/v1/create_session", declared=50, sent=b"")
    entry = _entry_for(mock, "/api/v1/create_session")
    assert (entry.status, entry.violations) == (499, [])
    assert mock.server.state.sessions == {}  # nothing was created from a body never received
