"""Assertions over the journal, for tests that check what crossed the wire.

Each helper raises :class:`JournalAssertionError` with a message that shows what was expected and
the actual exchanges (``#seq METHOD path -> status``), so a failure makes sense without reading the
harness. They accept a :class:`~mock_server.journal.Journal` or a list of entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tinker_harness.contracts.traits import endpoints_with
from tinker_harness.mock_server.journal import Journal, JournalEntry

__all__ = [
    "JournalAssertionError",
    "assert_no_request_after",
    "assert_no_violations",
    "assert_poll_count",
    "assert_requests_in_order",
    "polls_of",
]

BACKGROUND = endpoints_with("scheduled")


class JournalAssertionError(AssertionError):
    """A journal did not show the expected exchanges."""


def _entries(source: Journal | Sequence[JournalEntry]) -> list[JournalEntry]:
    return source.entries() if isinstance(source, Journal) else list(source)


def _listing(entries: Iterable[JournalEntry], limit: int = 40) -> str:
    lines = [f"  {e.describe()}" + (f"  [fault: {e.fault}]" if e.fault else "") for e in entries]
    if len(lines) > limit:
        lines = lines[:limit] + [f"  ... ({len(lines) - limit} more)"]
    return "\n".join(lines) or "  (no exchanges)"


def assert_requests_in_order(source: Journal | Sequence[JournalEntry], *endpoints: str) -> None:
    """The endpoints occur in this order (other exchanges may come in between)."""
    entries = _entries(source)
    position = 0
    for wanted in endpoints:
        while position < len(entries) and entries[position].endpoint != wanted:
            position += 1
        if position == len(entries):
            raise JournalAssertionError(
                f"expected requests in order {list(endpoints)}; {wanted!r} not found after the earlier ones in:\n"
                + _listing(entries)
            )
        position += 1


def polls_of(source: Journal | Sequence[JournalEntry], request_id: str) -> list[JournalEntry]:
    """The retrieve_future exchanges that polled ``request_id``."""
    return [e for e in _entries(source) if e.endpoint == "retrieve_future" and e.future_request_id == request_id]


def assert_poll_count(source: Journal | Sequence[JournalEntry], request_id: str, expected: int) -> None:
    polls = polls_of(source, request_id)
    if len(polls) != expected:
        raise JournalAssertionError(
            f"expected exactly {expected} poll(s) of request {request_id!r}, saw {len(polls)}:\n" + _listing(polls)
        )


def assert_no_request_after(
    source: Journal | Sequence[JournalEntry], endpoint: str, *, ignoring: Iterable[str] = BACKGROUND
) -> None:
    """Nothing but background chatter (heartbeats, telemetry by default) follows the last ``endpoint``."""
    entries = _entries(source)
    marks = [i for i, e in enumerate(entries) if e.endpoint == endpoint]
    if not marks:
        raise JournalAssertionError(f"no {endpoint!r} request in:\n" + _listing(entries))
    skipped = set(ignoring)
    later = [e for e in entries[marks[-1] + 1 :] if e.endpoint not in skipped]
    if later:
        raise JournalAssertionError(f"requests after {endpoint!r}:\n" + _listing(later))


def assert_no_violations(source: Journal | Sequence[JournalEntry]) -> None:
    """No exchange broke the contract on either side."""
    bad = [(e, v) for e in _entries(source) for v in e.violations]
    if bad:
        raise JournalAssertionError("contract violations:\n" + "\n".join(f"  {e.describe()}: {v}" for e, v in bad[:40]))
