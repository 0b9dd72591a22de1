"""The one clock every time-dependent behaviour of the server reads.

Long-poll deadlines, sequence-gap timeouts, TTLs, heartbeat expiry and injected delays all go
through :class:`Clock`. By default it follows real time. Tests freeze it and call
:meth:`Clock.advance`, so a scenario spanning hours runs in milliseconds. ``advance`` may be
called from any thread (a test thread while the server runs in its own event loop): sleepers
are woken through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field

__all__ = ["Clock"]


@dataclass(order=True)
class _Timer:
    deadline: float
    order: int
    loop: asyncio.AbstractEventLoop = field(compare=False)
    waiter: asyncio.Future[None] = field(compare=False)


class Clock:
    """Wall-clock seconds (``now``), real by default, freezable and advanceable."""

    def __init__(self, *, frozen_at: float | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at = frozen_at
        self._initial_frozen_at = frozen_at
        self._timers: list[_Timer] = []
        self._abandoned = 0
        self._order = itertools.count()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def now(self) -> float:
        """Seconds since the Unix epoch as this server sees them."""
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    def freeze(self, at: float | None = None) -> None:
        """Stop time at ``at`` (default: now). Frozen time moves only through ``advance``."""
        with self._lock:
            self._frozen_at = self._now_locked() if at is None else at
        self._wake_due()

    def reset(self) -> None:
        """Back to how this clock started: real time, or frozen at the instant it was created with."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = self._initial_frozen_at
        self._wake_due()

    def unfreeze(self) -> None:
        """Let time run again from the frozen instant."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def advance(self, seconds: float) -> float:
        """Move time forward, waking every sleeper whose deadline has passed; returns the new now."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward; got advance({seconds})")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
            now = self._now_locked()
        self._wake_due()
        return now

    def _wake_due(self) -> None:
        with self._lock:
            now = self._now_locked()
            due: list[_Timer] = []
            while self._timers and self._timers[0].deadline <= now:
                due.append(heapq.heappop(self._timers))
        for timer in due:
            try:
                timer.loop.call_soon_threadsafe(_resolve, timer.waiter)
            except RuntimeError:  # the sleeper's loop has closed; nobody is waiting any more
                pass

    async def sleep_until(self, deadline: float) -> None:
        """Return once ``now() >= deadline``."""
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                now = self._now_locked()
                if now >= deadline:
                    return
                waiter: asyncio.Future[None] = loop.create_future()
                heapq.heappush(self._timers, _Timer(deadline, next(self._order), loop, waiter))
                real_wait = None if self._frozen_at is not None else deadline - now
            try:
                await asyncio.wait([waiter], timeout=real_wait)
            finally:
                if not waiter.done():
                    waiter.cancel()
                    self._forget_abandoned()

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self.now() + seconds)

    async def wait_event(self, event: asyncio.Event, timeout: float, *, real_cap: float | None = None) -> bool:
        """Wait for ``event`` at most ``timeout`` clock seconds; True when the event fired.

        ``real_cap`` bounds the wait in real seconds as well. It exists for long-polls: a client's
        own read timeout runs on real time, so a frozen clock must not hold a request past it.
        """
        if event.is_set():
            return True
        event_task = asyncio.ensure_future(event.wait())
        timer_task = asyncio.ensure_future(self.sleep(timeout))
        try:
            await asyncio.wait({event_task, timer_task}, timeout=real_cap, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (event_task, timer_task):
                task.cancel()
        return event.is_set()

    def _forget_abandoned(self) -> None:
        """Drop timers of sleepers that left early, once they make up half of the heap."""
        with self._lock:
            self._abandoned += 1
            if self._abandoned * 2 > len(self._timers):
                self._timers = [t for t in self._timers if not t.waiter.done()]
                heapq.heapify(self._timers)
                self._abandoned = 0


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
