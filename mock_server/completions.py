"""A sampler's completion log, served by ``retrieve_futures`` (protocol reference §6.5).

Each settled sample future of a sampling session is appended with its index; a poll asks for
everything after its previous cursor and gets the new cursor back. Acknowledged request ids are not
served again. Waiters are woken through an event that is replaced after every append.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Completion", "CompletionLog"]


@dataclass(frozen=True)
class Completion:
    index: int
    request_id: str
    cloned_sampler_id: int
    failed: bool
    size: int | None


class CompletionLog:
    def __init__(self) -> None:
        self._entries: list[Completion] = []
        self._acknowledged: set[str] = set()
        self._event = asyncio.Event()

    @property
    def cursor(self) -> int:
        return len(self._entries)

    def add(self, request_id: str, cloned_sampler_id: int, *, failed: bool, size: int | None) -> None:
        self._entries.append(Completion(len(self._entries), request_id, cloned_sampler_id, failed, size))
        self._event.set()
        self._event = asyncio.Event()

    def changed(self) -> asyncio.Event:
        """An event set by the next append."""
        return self._event

    def acknowledge(self, request_ids: Iterable[str]) -> None:
        self._acknowledged.update(request_ids)

    def since(self, cursor: int, cloned_sampler_id: int) -> list[Completion]:
        return [
            c
            for c in self._entries[max(cursor, 0) :]
            if c.cloned_sampler_id == cloned_sampler_id and c.request_id not in self._acknowledged
        ]
