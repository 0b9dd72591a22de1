"""Time, injected (protocol reference §3, §4.3, §6.3, §9.3).

Every wait of the protocol (transport backoff, holder backoff, billing pauses, 429 backpressure,
heartbeat ticks, trace-export polls) goes through one :class:`Clock`, and every elapsed-time
budget (the 300 s holder window, the billing pause limit) reads ``clock.now()``. Tests pass a clock
whose ``sleep`` returns at once and records what was asked, so backoffs cost no real seconds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """What the client needs from time: a monotonic reading and an awaitable sleep."""

    def now(self) -> float:
        """Seconds on a monotonic scale (only differences matter)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (the client never asks for a negative wait)."""
        ...


class SystemClock:
    """Real time: ``time.monotonic`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
