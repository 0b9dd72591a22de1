"""A live progress bar on stderr: redrawn in place on a terminal, one line per result otherwise."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import TextIO

from tinker_harness.scenarios.runner import ScenarioResult

__all__ = ["Progress"]

_WIDTH = 30


class Progress:
    """Thread-safe: :meth:`update` is called from worker threads as scenarios finish."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.counts: Counter[str] = Counter()
        self.done = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()

    def _bar(self) -> str:
        filled = int(_WIDTH * self.done / self.total) if self.total else _WIDTH
        counts = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        elapsed = time.monotonic() - self._started
        return (
            f"{self.label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {self.done}/{self.total} {counts} {elapsed:.0f}s"
        )

    def update(self, result: ScenarioResult) -> None:
        with self._lock:
            self.done += 1
            self.counts[result.status] += 1
            if self.tty:
                self.stream.write("\r\x1b[K" + self._bar())
            else:
                self.stream.write(f"{self.label}: {result.status:<11} {result.scenario_id} ({result.seconds:.1f}s)\n")
            self.stream.flush()

    def finish(self) -> None:
        with self._lock:
            if self.tty:
                self.stream.write("\r\x1b[K" + self._bar() + "\n")
            else:
                self.stream.write(self._bar() + "\n")
            self.stream.flush()
