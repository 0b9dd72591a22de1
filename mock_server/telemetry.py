"""Client telemetry kept per session and read back through the control API (protocol reference §11).

``POST /api/v1/telemetry`` bodies are validated against ``TelemetrySendRequest`` by the handler
(a bad batch is a 422 naming the field, and the SDK drops it); accepted batches are redacted and
stored with the caller's owner id. A batch is attached to its ``session_id`` only when that session
belongs to the caller; session-less clients send ``sessionless-<uuid4>`` ids, kept as they are.
:func:`control_telemetry` serves ``GET /_harness/control/telemetry?session_id=`` (mounted by the
control API).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from tinker_harness.contracts._telemetry import TelemetrySendRequest
from tinker_harness.mock_server.redaction import redact

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["control_telemetry", "store_batch", "telemetry_batches", "telemetry_events"]


def store_batch(server: MockServer, owner: str, batch: TelemetrySendRequest) -> str | None:
    """Keep one validated batch; returns the session it belongs to (None if not the caller's)."""
    session = server.state.sessions.get(batch.session_id)
    own = session is not None and session.owner == owner
    stored: dict[str, Any] = {
        "owner": owner,
        "received_at": server.clock.now(),
        "session_known": own,
        **redact(batch.to_wire()),
    }
    server.state.telemetry.append(stored)
    return batch.session_id if own else None


def telemetry_batches(server: MockServer, session_id: str, owner: str | None = None) -> list[dict[str, Any]]:
    """The stored batches of ``session_id`` in arrival order (optionally only ``owner``'s)."""
    return [
        b
        for b in list(server.state.telemetry)
        if b.get("session_id") == session_id and (owner is None or b.get("owner") == owner)
    ]


def telemetry_events(server: MockServer, session_id: str, owner: str | None = None) -> list[dict[str, Any]]:
    """Every event of ``session_id``, in the order the SDK numbered them (``event_session_index``)."""
    events = [e for b in telemetry_batches(server, session_id, owner) for e in b.get("events", [])]
    return sorted(events, key=lambda e: (e.get("event_session_index", 0), e.get("timestamp", "")))


async def control_telemetry(server: MockServer, request: Request) -> JSONResponse:
    """``GET /_harness/control/telemetry?session_id=<id>``: that session's batches and events."""
    session_id = request.query_params.get("session_id")
    if not session_id:
        return JSONResponse(
            {"detail": "query parameter 'session_id' is required", "code": "invalid-control-request"}, status_code=400
        )
    session = server.state.sessions.get(session_id)
    owner = session.owner if session is not None else None  # another key's batches never join a session
    batches = telemetry_batches(server, session_id, owner)
    return JSONResponse(
        {
            "session_id": session_id,
            "batches": len(batches),
            "events": telemetry_events(server, session_id, owner),
            "processes": sorted({str(p) for b in batches if (p := b.get("process_uuid"))}),
        }
    )
