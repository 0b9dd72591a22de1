"""The audit trail behind ``GET /api/v1/audit`` (protocol reference §5 row 42, §10 AdminClient).

Events are ``<resource>_<action>``: ``checkpoint_created`` (noted from the checkpoints in state,
including ones that later expired or were deleted), ``checkpoint_deleted``, ``checkpoint_published``,
``checkpoint_unpublished``, ``checkpoint_ttl_set``, ``checkpoint_copied`` and
``project_session_assigned``. ``event_type`` filters by resource: ``checkpoints`` or ``projects``
(``teams`` and ``organizations`` have no events in the mock); ``day`` selects one UTC date,
today on the server clock when absent (as ``AdminClient.get_audit_log`` documents).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tinker_harness.contracts._admin import AuditLogEntry, AuditLogResponse

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["AuditEvent", "AuditTrail", "audit_day", "audit_log_for", "note", "sync_created"]

_RESOURCE_OF_TYPE = {"checkpoints": "checkpoint_", "projects": "project_"}


@dataclass(frozen=True)
class AuditEvent:
    at: float
    owner: str
    event: str
    model_id: str | None = None
    tinker_path: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class AuditTrail:
    """Append-only, thread-safe list of audit events."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[AuditEvent] = []
        self._created: set[tuple[str, str, float]] = set()

    def add(self, event: AuditEvent) -> None:
        with self._lock:
            self._events.append(event)

    def add_created_once(self, key: tuple[str, str, float], event: AuditEvent) -> None:
        with self._lock:
            if key not in self._created:
                self._created.add(key)
                self._events.append(event)

    def events(self, owner: str) -> list[AuditEvent]:
        with self._lock:
            return [e for e in self._events if e.owner == owner]


def sync_created(server: MockServer) -> None:
    """Note a ``checkpoint_created`` event for every checkpoint record not noted yet."""
    trail = server.state.audit
    for record in list(server.state.checkpoints.values()):
        trail.add_created_once(
            (record.run_id, record.checkpoint_id, record.created_at),
            AuditEvent(
                at=record.created_at,
                owner=record.owner,
                event="checkpoint_created",
                model_id=record.run_id,
                tinker_path=record.tinker_path,
                details={"checkpoint_type": record.checkpoint_type, "size_bytes": record.size_bytes},
            ),
        )


def note(server: MockServer, owner: str, event: str, **fields: Any) -> None:
    """Record an event happening now (on the server clock)."""
    sync_created(server)  # a checkpoint about to be deleted keeps its creation in the trail
    server.state.audit.add(AuditEvent(at=server.clock.now(), owner=owner, event=event, **fields))


def audit_day(server: MockServer, day: str | None) -> str:
    """The UTC date an audit query covers (``YYYY-MM-DD``): ``day``, or today on the server clock."""
    return day if day is not None else datetime.fromtimestamp(server.clock.now(), tz=UTC).date().isoformat()


def audit_log_for(server: MockServer, owner: str, event_type: str, day: str) -> AuditLogResponse:
    """The caller's audit log of one UTC day, oldest first, filtered by resource type."""
    sync_created(server)
    prefix = _RESOURCE_OF_TYPE.get(event_type)
    entries = []
    for event in sorted(server.state.audit.events(owner), key=lambda e: e.at):
        when = datetime.fromtimestamp(event.at, tz=UTC)
        if event_type != "all" and (prefix is None or not event.event.startswith(prefix)):
            continue
        if when.date().isoformat() != day:
            continue
        entries.append(
            AuditLogEntry(
                timestamp=when,
                event=event.event,
                event_details=dict(event.details),
                model_id=event.model_id,
                tinker_path=event.tinker_path,
            )
        )
    return AuditLogResponse(entries=entries)
