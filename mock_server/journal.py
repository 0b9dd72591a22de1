"""The request journal: every exchange the server saw, decoded, checked and redacted (§17).

The request path only appends the raw exchange (:class:`~mock_server.exchange.ExchangeRecord`)
to a bounded ring and numbers it; decoding, contract checks and redaction
(:func:`~mock_server.journal_entry.materialise`) happen when an entry is first read
(:meth:`Journal.entries`: control API, assertions, scenarios, reports) or written to the JSONL sink
by a background writer, so every reader sees the same entry and nothing unredacted leaves the
process. Once materialised, an entry replaces its raw bytes. Memory is bounded by the ring; the
sink keeps everything on disk, redacted.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from tinker_harness.mock_server.exchange import ExchangeRecord
from tinker_harness.mock_server.journal_entry import JOURNAL_FORMAT, JournalEntry, materialise

__all__ = ["JOURNAL_FORMAT", "Journal", "JournalEntry"]

logger = logging.getLogger(__name__)


class _Slot:
    """One exchange in the ring: raw until first read, then its entry."""

    __slots__ = ("entry", "raw", "seq")

    def __init__(self, seq: int, raw: ExchangeRecord) -> None:
        self.seq = seq
        self.raw: ExchangeRecord | None = raw
        self.entry: JournalEntry | None = None


class Journal:
    """A bounded, thread-safe log of exchanges with an optional redacted JSONL sink."""

    def __init__(self, size: int = 10_000, sink: Path | None = None, *, validate: bool = True) -> None:
        self._slots: deque[_Slot] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._seq = 0
        self.validate = validate
        self.total = 0
        self._writer: _SinkWriter | None = _SinkWriter(sink, self._entry) if sink is not None else None

    @property
    def last_seq(self) -> int:
        """Sequence number of the latest entry (0 when empty): pass it as ``since_seq`` later."""
        with self._lock:
            return self._seq

    def append(self, raw: ExchangeRecord) -> int:
        """Keep one raw exchange (cheap: the request path calls this); returns its sequence number."""
        with self._lock:
            self._seq += 1
            slot = _Slot(self._seq, raw)
            self._slots.append(slot)
            self.total += 1
        if self._writer is not None:
            self._writer.put(slot)
        return slot.seq

    def _entry(self, slot: _Slot) -> JournalEntry:
        entry = slot.entry
        if entry is None:
            raw = slot.raw
            assert raw is not None
            try:
                entry = materialise(raw, slot.seq, validate=self.validate)
            except Exception as exc:  # a journal bug must not hide the exchange: keep what is safe to show
                logger.exception("journal: could not decode %s %s", raw.method, raw.path)
                entry = JournalEntry(
                    slot.seq, raw.timestamp, "", raw.method, raw.path, "", raw.endpoint.name if raw.endpoint else None,
                    raw.status, {}, {}, None, None, raw.duration_ms, notes={"journal_error": f"{type(exc).__name__}"},
                )  # fmt: skip
            slot.entry, slot.raw = entry, None  # concurrent readers build equal entries; either one stays
        return entry

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
            snapshot = [slot for slot in self._slots if slot.seq > since_seq]
        found = (self._entry(slot) for slot in snapshot)
        return [
            e
            for e in found
            if (names is None or e.endpoint in names)
            and (session_id is None or e.session_id == session_id)
            and (where is None or where(e))
        ]

    def clear(self) -> None:
        """Forget every entry and restart ``total``; sequence numbers keep rising, so a ``since_seq``
        taken before and the JSONL sink's lines stay unambiguous."""
        with self._lock:
            self._slots.clear()
            self.total = 0

    def flush(self) -> None:
        """Wait until every exchange so far is in the JSONL sink."""
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        """Write what is pending to the sink and close it."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()


class _SinkWriter:
    """A background thread that materialises exchanges in order and appends them to the JSONL file."""

    def __init__(self, path: Path, entry_of: Callable[[_Slot], JournalEntry]) -> None:
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._entry_of = entry_of
        self._queue: queue.Queue[_Slot | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"journal sink {path}", daemon=True)
        self._thread.start()

    def put(self, slot: _Slot) -> None:
        self._queue.put(slot)

    def _run(self) -> None:
        while True:
            slot = self._queue.get()
            try:
                if slot is None:
                    return
                self._file.write(json.dumps(self._entry_of(slot).to_json(), default=str) + "\n")
                if self._queue.empty():
                    self._file.flush()
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        self._queue.join()
        self._file.flush()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._file.close()
