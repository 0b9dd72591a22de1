"""Futures as first-class server state (protocol reference §6).

Every submit endpoint answers ``{"request_id"}`` at once and the work finishes later. A future moves
through the states below; only :meth:`FutureRecord.transition` changes the state, and it refuses
moves the table does not allow. Long-polls wait on the record's event, which fires on completion,
failure, expiry or cancellation, so a waiting ``retrieve_future`` wakes without re-checking.
"""

from __future__ import annotations

import asyncio
import enum
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from tinker_harness.mock_server.errors import ApiError

__all__ = ["FutureRecord", "FutureResult", "FutureState", "FutureStore", "RequestFailure"]

ErrorCategory = Literal["user", "server", "unknown"]


class FutureState(enum.Enum):
    QUEUED = "queued"  # accepted; waiting for its turn (seq_id order, clock cycle)
    RUNNING = "running"  # being computed
    COMPLETE = "complete"  # result ready
    FAILED = "failed"  # result is {"error", "category"}
    EXPIRED = "expired"  # promise gone: polls answer 410
    CANCELLED = "cancelled"  # abandoned through cancel_future: polls answer 410


_ALLOWED: dict[FutureState, frozenset[FutureState]] = {
    FutureState.QUEUED: frozenset(
        {FutureState.RUNNING, FutureState.FAILED, FutureState.EXPIRED, FutureState.CANCELLED}
    ),
    FutureState.RUNNING: frozenset(
        {FutureState.COMPLETE, FutureState.FAILED, FutureState.EXPIRED, FutureState.CANCELLED}
    ),
    FutureState.COMPLETE: frozenset({FutureState.EXPIRED}),
    FutureState.FAILED: frozenset({FutureState.EXPIRED}),
    FutureState.EXPIRED: frozenset(),
    FutureState.CANCELLED: frozenset(),
}
_TERMINAL = frozenset({FutureState.COMPLETE, FutureState.FAILED, FutureState.EXPIRED, FutureState.CANCELLED})


@dataclass(frozen=True)
class RequestFailure(Exception):
    """A request that failed as a future result (``{"error", "category"}``, §6.2 item 4)."""

    message: str
    category: ErrorCategory = "user"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class FutureResult:
    """A completed result: always a JSON form; protobuf bytes too for FBO/Sample results (§0 item 5).

    Work runs in a worker thread; ``commit`` (if any) applies its changes to the server state on the
    event-loop thread just before the future completes, so handlers never see state mid-change.
    """

    json_body: dict[str, Any]
    proto_body: bytes | None = None
    commit: Callable[[], None] | None = field(default=None, compare=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.proto_body) if self.proto_body is not None else len(repr(self.json_body))


@dataclass
class FutureRecord:
    request_id: str
    request_type: str
    owner: str
    session_id: str | None
    model_id: str | None
    created_at: float
    loop: asyncio.AbstractEventLoop
    state: FutureState = FutureState.QUEUED
    result: FutureResult | None = None
    failure: RequestFailure | None = None
    completed_at: float | None = None
    polls: int = 0
    metadata_sent: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def is_queued(self) -> bool:
        return self.state is FutureState.QUEUED

    @property
    def is_running(self) -> bool:
        return self.state is FutureState.RUNNING

    @property
    def is_done(self) -> bool:
        return self.state in _TERMINAL

    def transition(self, to: FutureState) -> None:
        """Move to ``to``; an illegal move names both states (it is a server bug, not user input)."""
        if to not in _ALLOWED[self.state]:
            raise RuntimeError(f"future {self.request_id}: cannot move from {self.state.value} to {to.value}")
        self.state = to
        if to in _TERMINAL:
            self.loop.call_soon_threadsafe(self.done.set)


class FutureStore:
    """All futures of the server, by request id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[str, FutureRecord] = {}

    def create(
        self,
        request_id: str,
        request_type: str,
        *,
        owner: str,
        session_id: str | None,
        model_id: str | None,
        now: float,
    ) -> FutureRecord:
        record = FutureRecord(request_id, request_type, owner, session_id, model_id, now, asyncio.get_running_loop())
        with self._lock:
            self._futures[request_id] = record
        return record

    def get(self, request_id: str, owner: str) -> FutureRecord:
        """The caller's future; unknown and foreign ids are both 404 (§6.3: 404 is fatal to the poller)."""
        with self._lock:
            record = self._futures.get(request_id)
        if record is None or record.owner != owner:
            raise ApiError(404, "future-not-found", f"no future with request_id {request_id!r}")
        return record

    def discard(self, request_id: str) -> None:
        """Forget a future whose submit was refused after it was created."""
        with self._lock:
            self._futures.pop(request_id, None)

    def find(self, request_id: str) -> FutureRecord | None:
        with self._lock:
            return self._futures.get(request_id)

    @staticmethod
    def start(record: FutureRecord) -> None:
        record.transition(FutureState.RUNNING)

    @staticmethod
    def complete(record: FutureRecord, result: FutureResult, now: float) -> None:
        record.result = result
        record.completed_at = now
        record.transition(FutureState.COMPLETE)

    @staticmethod
    def fail(record: FutureRecord, failure: RequestFailure, now: float) -> None:
        record.failure = failure
        record.completed_at = now
        record.transition(FutureState.FAILED)

    def __iter__(self) -> Iterator[FutureRecord]:
        with self._lock:
            return iter(list(self._futures.values()))

    def __len__(self) -> int:
        with self._lock:
            return len(self._futures)
