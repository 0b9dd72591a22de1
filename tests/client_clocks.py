"""Injected client clocks for tests that drive the reference client: instant, quiet-heartbeat and manual time."""

from __future__ import annotations

import asyncio
import threading

from tinker_harness.reference_client._session import HEARTBEAT_TASK_NAME


class InstantClock:
    """Virtual time where every sleep returns at once: it records the wait and moves time forward."""

    def __init__(self) -> None:
        self.time = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds
        await asyncio.sleep(0)


class QuietHeartbeatClock(InstantClock):
    """An :class:`InstantClock` for a client that stays open: backoffs and pauses still cost nothing, but the
    heartbeat task's sleeps never end (on instant time it would beat in a tight loop and flood the server)."""

    async def sleep(self, seconds: float) -> None:
        task = asyncio.current_task()
        if task is not None and task.get_name() == HEARTBEAT_TASK_NAME:
            await asyncio.Event().wait()  # until the client closes and cancels the heartbeat
        await super().sleep(seconds)


class ManualClock:
    """Virtual time that moves only through :meth:`advance` (from any thread); sleepers wait for it."""

    def __init__(self) -> None:
        self.time = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()
        self._waiters: list[tuple[float, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        with self._lock:
            self.sleeps.append(seconds)
            self._waiters.append((self.time + seconds, loop, waiter))
        await waiter

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.time += seconds
            due = [w for w in self._waiters if w[0] <= self.time]
            self._waiters = [w for w in self._waiters if w[0] > self.time]
        for _, loop, waiter in due:
            loop.call_soon_threadsafe(_wake, waiter)

    @property
    def sleepers(self) -> int:
        with self._lock:
            return len(self._waiters)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
