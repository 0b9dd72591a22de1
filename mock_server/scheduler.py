"""Per-model execution in ``seq_id`` order (protocol reference §8.2, §16 item 9).

A training client numbers its requests 1, 2, 3, ... and sends chunks of one forward_backward
concurrently, first chunk last, so requests may arrive out of order. Each model owns a
:class:`ModelQueue`: submissions wait until every lower seq_id has run, then run one at a time in a
worker thread. A seq_id that never arrives (a client gave up after a failed submit) holds the queue
for at most ``seq_gap_timeout`` clock seconds. Reusing a seq_id, or sending one below the last
executed, is rejected at submit time.

In clock-cycle mode (``cycle_seconds``) work runs in lock-step cycles, as the service's shared
worker pools do (semantics §6): an op runs at the first cycle boundary at or after its submission,
so a client that submits ``forward_backward`` and ``optim_step`` before awaiting either uses one
cycle, while one that awaits in between uses two.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.errors import ApiError

__all__ = ["ModelQueue", "QueuedOp"]

logger = logging.getLogger(__name__)


@dataclass
class QueuedOp:
    seq_id: int
    enqueued_at: float
    run: Callable[[], Awaitable[None]]


class ModelQueue:
    """The ordered work queue of one training model."""

    def __init__(
        self,
        model_id: str,
        clock: Clock,
        gap_timeout: float,
        *,
        first_seq_id: int = 1,
        cycle_seconds: float | None = None,
    ) -> None:
        self.model_id = model_id
        self._clock = clock
        self._gap_timeout = gap_timeout
        self._cycle = cycle_seconds
        self.current_cycle: int | None = None
        self._expected = first_seq_id
        self._last_run: int | None = None
        self._pending: dict[int, QueuedOp] = {}
        self._wakeup = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self.executed: deque[int] = deque(maxlen=1024)  # recent seq_ids in execution order

    @property
    def pending_seq_ids(self) -> list[int]:
        return sorted(self._pending)

    def submit(self, seq_id: int, run: Callable[[], Awaitable[None]]) -> None:
        """Queue ``run`` under ``seq_id``; raises 400 for a reused or backwards seq_id."""
        if seq_id in self._pending or (self._last_run is not None and seq_id <= self._last_run):
            last = "none" if self._last_run is None else str(self._last_run)
            raise ApiError.bad_request(
                "seq-id-reused",
                f"seq_id {seq_id} for model {self.model_id!r} was already used "
                f"(last executed seq_id: {last}; seq_ids must increase)",
            )
        self._pending[seq_id] = QueuedOp(seq_id, self._clock.now(), run)
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work(), name=f"queue:{self.model_id}")
        self._wakeup.set()

    def release(self, seq_id: int) -> None:
        """Mark a seq_id the server refused at submit time as used, so later ops do not wait for it.

        The client counts a refused submit as a used seq_id (§8.2: a failed submission leaves a hole).
        """
        if seq_id in self._pending or (self._last_run is not None and seq_id <= self._last_run):
            return

        async def nothing() -> None:
            return None

        self.submit(seq_id, nothing)

    def _next_ready(self) -> QueuedOp | None:
        if not self._pending:
            return None
        lowest = min(self._pending)
        if lowest <= self._expected:
            return self._pending.pop(lowest)
        if self._clock.now() - self._pending[lowest].enqueued_at >= self._gap_timeout:
            return self._pending.pop(lowest)
        return None

    async def _work(self) -> None:
        while True:
            op = self._next_ready()
            if op is None:
                self._wakeup.clear()
                if self._pending:
                    oldest = min(op.enqueued_at for op in self._pending.values())
                    await self._clock.wait_event(self._wakeup, oldest + self._gap_timeout - self._clock.now())
                else:
                    await self._wakeup.wait()
                continue
            self._last_run = op.seq_id
            self._expected = op.seq_id + 1
            if self._cycle is not None:  # lock-step: wait for the first cycle boundary at or after submission
                boundary = math.ceil(op.enqueued_at / self._cycle) * self._cycle
                await self._clock.sleep_until(boundary)
                self.current_cycle = round(boundary / self._cycle)
            self.executed.append(op.seq_id)
            try:
                await op.run()
            except Exception:  # an op must fail its own future; never let one stop the queue
                logger.exception("training op seq_id=%s of %s raised", op.seq_id, self.model_id)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
