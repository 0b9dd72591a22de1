"""Helpers for the reference-client tests: datums, journal checks and injected clocks."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Sequence

from contracts import Datum, EncodedTextChunk, ModelInput, TensorData
from mock_server.journal import JournalEntry
from mock_server.tokenizer import encode
from reference_client._session import HEARTBEAT_TASK_NAME

BASE_MODEL = "Qwen/Qwen3-8B"
SENTENCES = (
    "The model saved a checkpoint after every step.",
    "Training loss goes down when the learning rate is right.",
    "A session sends a heartbeat every ten seconds.",
)


def datum(text: str, *, weights: bool = True) -> Datum:
    """Next-token prediction: inputs are the tokens but the last, targets the tokens but the first."""
    ids = encode(text)
    inputs = {"target_tokens": TensorData(data=ids[1:], dtype="int64")}
    if weights:
        inputs["weights"] = TensorData(data=[1.0] * (len(ids) - 1), dtype="float32")
    return Datum(model_input=ModelInput(chunks=[EncodedTextChunk(tokens=ids[:-1])]), loss_fn_inputs=inputs)


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
