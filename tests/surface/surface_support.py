"""Helpers for the surface tests: two API keys, raw HTTP clients and official-SDK clients per key."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import tinker

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.ids import key_fingerprint
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.local import MockTinker

ALICE = "tml-surface-alice-0001"
BOB = "tml-surface-bob-0002"
BASE_MODEL = "Qwen/Qwen3-8B"


def frozen_clock() -> Clock:
    """A clock stopped at the real current time (the SDK checks some expiries on real time)."""
    return Clock(frozen_at=time.time())


def owner(api_key: str) -> str:
    return key_fingerprint(api_key)


def http(mock: MockTinker, api_key: str = ALICE) -> httpx.Client:
    return httpx.Client(base_url=f"{mock.base_url}/api/v1", headers={"X-API-Key": api_key}, timeout=30)


def rest(mock: MockTinker, api_key: str = ALICE) -> tinker.RestClient:
    """An official RestClient for one key (pass both arguments: holders are cached by them)."""
    return tinker.RestClient(base_url=mock.base_url, api_key=api_key)


def admin(mock: MockTinker, api_key: str = ALICE) -> tinker.AdminClient:
    return tinker.AdminClient(base_url=mock.base_url, api_key=api_key)


def service(mock: MockTinker, api_key: str = ALICE, **kwargs: Any) -> tinker.ServiceClient:
    return tinker.ServiceClient(base_url=mock.base_url, api_key=api_key, **kwargs)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` in real time (for the SDK's own real-time loops, e.g. heartbeats)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def settle(mock: MockTinker, quiet: float = 0.05, timeout: float = 5.0) -> None:
    """Wait until the journal has been quiet for ``quiet`` s: the server journals an exchange just
    after answering it, so a client can hold an answer before its entry exists."""
    deadline = time.monotonic() + timeout
    last = mock.journal.total
    while time.monotonic() < deadline:
        time.sleep(quiet)
        if mock.journal.total == last:
            return
        last = mock.journal.total


def entries(mock: MockTinker, **filters: Any) -> list[JournalEntry]:
    """Journal entries (see :meth:`Journal.entries`) once every answered exchange is journaled."""
    settle(mock)
    return mock.journal.entries(**filters)


def statuses(found: list[JournalEntry]) -> list[int]:
    return [e.status for e in found]


def no_violations(mock: MockTinker) -> list[str]:
    return [f"{e.describe()}: {v}" for e in entries(mock) for v in e.violations]
