"""The request journal: every exchange the server saw, decoded, checked and redacted.

Each :class:`JournalEntry` holds method, path, normalised (lower-cased, redacted) headers, the
request and response bodies as JSON (protobuf decoded to readable JSON), status, timing, the
session, SDK version and SDK method from the headers, and the contract violations found on each
side. Memory is bounded by a ring buffer; an optional JSONL sink keeps everything on disk, redacted.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = ["Journal", "JournalEntry"]


@dataclass
class JournalEntry:
    seq: int
    timestamp: float
    http_request_id: str
    method: str
    path: str
    query: str
    endpoint: str | None
    status: int
    request_headers: dict[str, str]
    response_headers: dict[str, str]
    request_body: Any
    response_body: Any
    duration_ms: float
    session_id: str | None = None
    sdk_version: str | None = None
    sdk_generation: str | None = None
    sdk_method: str | None = None
    request_type: str | None = None
    future_request_id: str | None = None
    request_violations: list[str] = field(default_factory=list)
    response_violations: list[str] = field(default_factory=list)
    fault: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def violations(self) -> list[str]:
        return [f"request: {v}" for v in self.request_violations] + [f"response: {v}" for v in self.response_violations]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line for assertion messages: ``#12 POST /api/v1/optim_step -> 200``."""
        return f"#{self.seq} {self.method} {self.path} -> {self.status}"


class Journal:
    """A bounded, thread-safe log of exchanges with an optional redacted JSONL sink."""

    def __init__(self, size: int = 10_000, sink: Path | None = None) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._seq = 0
        self._sink: IO[str] | None = sink.open("a", encoding="utf-8") if sink is not None else None
        self.total = 0

    @property
    def last_seq(self) -> int:
        """Sequence number of the latest entry (0 when empty): pass it as ``since_seq`` later."""
        with self._lock:
            return self._seq

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            self.total += 1
            if self._sink is not None:
                self._sink.write(json.dumps(entry.to_json(), default=str) + "\n")
                self._sink.flush()

    def entries(
        self,
        *,
        endpoint: str | Iterable[str] | None = None,
        session_id: str | None = None,
        since_seq: int = 0,
        where: Callable[[JournalEntry], bool] | None = None,
    ) -> list[JournalEntry]:
        """Entries in arrival order, optionally filtered by endpoint name(s), session or predicate."""
        names = {endpoint} if isinstance(endpoint, str) else set(endpoint) if endpoint is not None else None
        with self._lock:
            snapshot = list(self._entries)
        return [
            e
            for e in snapshot
            if e.seq > since_seq
            and (names is None or e.endpoint in names)
            and (session_id is None or e.session_id == session_id)
            and (where is None or where(e))
        ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        with self._lock:
            if self._sink is not None:
                self._sink.close()
                self._sink = None
