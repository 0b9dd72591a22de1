"""Helpers for the reference-client tests: datums, journal checks, ports."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence

from contract_datums import datum

from tinker_harness.contracts import Datum
from tinker_harness.mock_server.journal import JournalEntry

BASE_MODEL = "Qwen/Qwen3-8B"
SENTENCES = (
    "The model saved a checkpoint after every step.",
    "Training loss goes down when the learning rate is right.",
    "A session sends a heartbeat every ten seconds.",
)


def dataset(texts: Sequence[str] = SENTENCES) -> list[Datum]:
    return [datum(t) for t in texts]


def violations(entries: Sequence[JournalEntry]) -> list[str]:
    """Every contract violation in ``entries``, each prefixed with the exchange it came from."""
    return [f"{e.describe()}: {v}" for e in entries for v in e.violations]


def endpoint_sequence(entries: Sequence[JournalEntry]) -> list[str]:
    return [e.endpoint or e.path for e in entries]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Real-time wait for something a background thread does (the server, the client's loop)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
