"""A private event loop on a thread, so synchronous code can drive the async client (no protocol content).

The sync client owns one :class:`Portal`. Every call hands the portal a zero-argument function
that *starts* async work (``lambda: client.forward_backward(...)``); the function runs on the loop
thread, in submission order, so ``seq_id``\\s are reserved in the order the caller made the calls.
``submit`` returns a ``concurrent.futures.Future`` at once; ``run`` waits for the result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["Portal"]

T = TypeVar("T")


class Portal:
    """An asyncio loop running forever on a daemon thread until :meth:`close`."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="reference-client-loop", daemon=True)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._loop.is_closed()

    def submit(self, start: Callable[[], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Call ``start()`` on the loop thread and return a future of what it awaits to."""

        async def call() -> T:
            return await start()

        return asyncio.run_coroutine_threadsafe(call(), self._loop)

    def run(self, start: Callable[[], Awaitable[T]]) -> T:
        """:meth:`submit` and wait for the result (exceptions propagate unchanged)."""
        return self.submit(start).result()

    def close(self) -> None:
        """Cancel whatever still runs on the loop, stop it and join the thread; idempotent."""
        if self.closed:
            return

        async def cancel_rest() -> None:
            current = asyncio.current_task()
            rest = [task for task in asyncio.all_tasks() if task is not current]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        self.run(cancel_rest)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
