"""Session liveness: heartbeats, expiry on the server clock, and what a session's status is
(protocol reference §4.2-§4.4, §5 rows 3-5 and 41; versions §10 item 6).

A session stays alive while heartbeats arrive; once ``ServerConfig.session_expiry_seconds`` clock
seconds pass without one, it expires. Expiry is evaluated lazily against the clock whenever a
session is touched (heartbeat, finish, REST reads, telemetry): an expired session answers its
heartbeats with 410, which stops the 0.30+ SDK's heartbeat loop, and its unfinished futures fail
with a ``user`` error naming the expiry. A finished or expired session never comes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinker_harness.contracts._sessions import ClientSessionFinished, SessionActive, SessionCancelled
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.futures import FutureStore, RequestFailure
from tinker_harness.mock_server.state import SessionRecord

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = [
    "ensure_alive",
    "expire_idle_sessions",
    "expiry_detail",
    "is_expired",
    "session_status",
]


def expiry_detail(server: MockServer, record: SessionRecord) -> str:
    return (
        f"session {record.session_id!r} expired: no heartbeat for {server.config.session_expiry_seconds:g} s "
        f"(last heartbeat at clock {record.last_heartbeat:.0f})"
    )


def _expire(server: MockServer, record: SessionRecord, now: float) -> None:
    """Mark ``record`` expired at ``now`` and fail every unfinished future of the session."""
    record.expired_at = now
    failure = RequestFailure(expiry_detail(server, record), "user")
    for future in server.state.futures:
        if future.session_id == record.session_id and not future.is_done:
            try:
                FutureStore.fail(future, failure, now)
            except RuntimeError:  # settled on another thread in the meantime: its result stands
                pass


def is_expired(server: MockServer, record: SessionRecord) -> bool:
    """Whether the session has expired, expiring it now if its heartbeat silence is long enough."""
    if record.expired_at is not None:
        return True
    if record.finish_reason is not None:
        return False
    now = server.clock.now()
    if now - record.last_heartbeat >= server.config.session_expiry_seconds:
        _expire(server, record, now)
        return True
    return False


def expire_idle_sessions(server: MockServer) -> list[str]:
    """Expire every session whose heartbeats have stopped; returns the ids expired by this call.

    A sweep remembers the earliest moment any session could next expire (a session created or beaten
    later expires later still), so calls before it cost nothing however many sessions there are.
    """
    state, now = server.state, server.clock.now()
    if state.sessions_swept_at <= now < state.sessions_sweep_not_before:
        return []
    expiry = server.config.session_expiry_seconds
    expired, earliest = [], now + expiry
    for record in list(state.sessions.values()):
        if record.expired_at is not None or record.finish_reason is not None:
            continue
        if is_expired(server, record):
            expired.append(record.session_id)
        else:
            earliest = min(earliest, record.last_heartbeat + expiry)
    state.sessions_swept_at, state.sessions_sweep_not_before = now, earliest
    return expired


def ensure_alive(server: MockServer, record: SessionRecord) -> None:
    """410 for a session that has expired or finished: no more work can be submitted to it."""
    if is_expired(server, record):
        raise ApiError(410, "session-expired", expiry_detail(server, record))
    if record.finish_reason is not None:
        raise ApiError(410, "session-finished", f"session {record.session_id!r} has finished ({record.finish_reason})")


def session_status(
    server: MockServer, record: SessionRecord
) -> SessionActive | ClientSessionFinished | SessionCancelled:
    """The session's status in search results: active, finished by its client, or cancelled by expiry."""
    if record.finish_reason is not None:
        return ClientSessionFinished.model_validate(
            {"reason": {"type": record.finish_reason}, "detail": record.finish_detail}
        )
    if is_expired(server, record):
        return SessionCancelled(detail=expiry_detail(server, record))
    return SessionActive()
