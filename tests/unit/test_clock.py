"""The injectable clock: frozen time moves only through advance(), which wakes sleepers from any thread."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from tinker_harness.mock_server.clock import Clock


def test_frozen_clock_moves_only_when_advanced() -> None:
    clock = Clock(frozen_at=1_000.0)
    assert clock.now() == 1_000.0
    time.sleep(0.01)
    assert clock.now() == 1_000.0
    assert clock.advance(7200) == 8_200.0
    assert clock.frozen


def test_real_clock_follows_time_and_can_jump() -> None:
    clock = Clock()
    before = clock.now()
    clock.advance(3600)
    assert clock.now() - before >= 3600
    clock.freeze()
    frozen = clock.now()
    clock.unfreeze()
    assert clock.now() >= frozen


def test_advance_rejects_going_back() -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        Clock(frozen_at=0).advance(-1)


def test_sleepers_wake_when_another_thread_advances() -> None:
    clock = Clock(frozen_at=0.0)
    woke: list[float] = []

    async def sleeper() -> None:
        await clock.sleep(2 * 3600)
        woke.append(clock.now())

    thread = threading.Thread(target=asyncio.run, args=(sleeper(),))
    thread.start()
    time.sleep(0.05)
    assert woke == []  # a frozen clock never wakes anyone on its own
    clock.advance(3600)
    time.sleep(0.05)
    assert woke == []
    clock.advance(3600)
    thread.join(5)
    assert woke == [7200.0]


def test_wait_event_returns_on_event_or_deadline() -> None:
    async def scenario() -> tuple[bool, bool, float]:
        clock = Clock(frozen_at=0.0)
        event = asyncio.Event()
        asyncio.get_running_loop().call_later(0.01, event.set)
        fired = await clock.wait_event(event, timeout=30)
        started = time.monotonic()
        other = asyncio.Event()
        asyncio.get_running_loop().call_later(0.01, clock.advance, 31)
        timed_out = await clock.wait_event(other, timeout=30)
        return fired, timed_out, time.monotonic() - started

    fired, timed_out, waited = asyncio.run(scenario())
    assert fired is True and timed_out is False
    assert waited < 5  # woken by advance(), not by real time


def test_real_cap_bounds_a_frozen_wait() -> None:
    async def scenario() -> float:
        clock = Clock(frozen_at=0.0)
        started = time.monotonic()
        await clock.wait_event(asyncio.Event(), timeout=1e9, real_cap=0.05)
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 2
