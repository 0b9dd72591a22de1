"""Submission order of one training run: ``seq_id`` reservation and turn-taking (protocol reference §8.2).

Each training operation reserves ids from a counter starting at 0 *when it is called*, and its
request carries ``seq_id = id + 1``. The POST of id ``n`` is sent only after the POST of id
``n - 1`` has returned (its ``request_id``, not its result), so the server sees submissions in
order while results are polled concurrently. A forward/backward split into chunks reserves one id
per chunk and takes all of them as a single turn (its chunks are POSTed together, first chunk
last). A failed submission still passes the turn on, leaving a hole in the ``seq_id``\\s the server
sees, as the SDK does; an operation cancelled before its turn passes it on too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["TurnTaker"]


class TurnTaker:
    """Hands out id ranges and lets each range submit only after every earlier one has."""

    def __init__(self) -> None:
        self._reserved = 0  # next id to hand out
        self._turn = 0  # first id whose submission has not finished yet
        self._abandoned: dict[int, int] = {}  # start -> stop of ranges given up before their turn
        self._changed = asyncio.Condition()

    def reserve(self, count: int = 1) -> range:
        """The next ``count`` ids, in call order."""
        ids = range(self._reserved, self._reserved + count)
        self._reserved = ids.stop
        return ids

    @asynccontextmanager
    async def turn(self, ids: range) -> AsyncIterator[None]:
        """Wait until every id before ``ids`` has been submitted; submit inside the block."""
        try:
            async with self._changed:
                await self._changed.wait_for(lambda: self._turn >= ids.start)
        except asyncio.CancelledError:
            await self._pass(ids, abandoned=True)
            raise
        try:
            yield
        finally:
            await self._pass(ids, abandoned=False)

    async def _pass(self, ids: range, *, abandoned: bool) -> None:
        async with self._changed:
            if abandoned and self._turn < ids.start:
                self._abandoned[ids.start] = ids.stop
            else:
                self._turn = max(self._turn, ids.stop)
            while self._turn in self._abandoned:
                self._turn = self._abandoned.pop(self._turn)
            self._changed.notify_all()
