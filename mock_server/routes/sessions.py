"""REST: sessions (protocol reference §5 rows 37-41, §10).

Listing pages by offset/limit (newest first); search pages by a keyset cursor
``(last_created_at, last_session_id)`` over the same newest-first order. A trace export is
``pending`` on the first poll and ``ready`` from the next one (or once two clock seconds have
passed), with a signed URL to a Chrome-trace JSON of the session's journaled requests.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from contracts._queries import AccessScopeQuery, ListSessionsQuery
from contracts._sessions import (
    AssignSessionProjectRequest,
    ClientSessionFinished,
    GetSessionResponse,
    ListSessionsResponse,
    SessionActive,
    SessionSearchCursor,
    SessionSearchRequest,
    SessionSearchResponse,
    SessionSummary,
    TraceExportResponse,
)
from mock_server.calls import Call, empty_ok, handles, ok
from mock_server.routes.checkpoints import timestamp
from mock_server.state import SessionRecord

TRACE_READY_AFTER_SECONDS = 2.0
DEFAULT_PROJECT = "default"


def _newest_first(sessions: list[SessionRecord]) -> list[SessionRecord]:
    return sorted(sessions, key=lambda s: (s.created_at, s.session_id), reverse=True)


@handles("list_sessions")
async def list_sessions(call: Call) -> Response:
    query = call.query(ListSessionsQuery)
    mine = _newest_first([s for s in call.server.state.sessions.values() if s.owner == call.owner])
    page = mine[query.offset : query.offset + query.limit]
    return ok(ListSessionsResponse(sessions=[s.session_id for s in page]))


@handles("get_session")
async def get_session(call: Call) -> Response:
    call.query(AccessScopeQuery)
    session = call.server.state.session(call.path_params["session_id"], call.owner)
    call.session_id = session.session_id
    metadata = {str(k): str(v) for k, v in session.user_metadata.items()} or None
    return ok(
        GetSessionResponse(
            training_run_ids=list(session.training_run_ids),
            sampler_ids=list(session.sampler_ids),
            user_metadata=metadata,
            display_name=session.display_name,
        )
    )


@handles("assign_session_project")
async def assign_session_project(call: Call) -> Response:
    body = call.parse(AssignSessionProjectRequest)
    session = call.server.state.session(call.path_params["session_id"], call.owner)
    call.session_id = session.session_id
    session.project_id = body.project_id
    for run_id in session.training_run_ids:
        call.server.state.runs[run_id].project_id = body.project_id
    return empty_ok()


@handles("export_session_trace")
async def export_session_trace(call: Call) -> Response:
    session = call.server.state.session(call.path_params["session_id"], call.owner)
    call.session_id = session.session_id
    now = call.server.clock.now()
    if session.trace_requested_at is None:
        session.trace_requested_at = now
    session.trace_polls += 1
    if session.trace_polls < 2 and now - session.trace_requested_at < TRACE_READY_AFTER_SECONDS:
        return ok(TraceExportResponse(status="pending"))
    url = call.server.signer.sign(call.server.public_url, f"traces/{session.session_id}.pftrace", now + 3600)
    return ok(TraceExportResponse(status="ready", url=url))


def _status(session: SessionRecord) -> SessionActive | ClientSessionFinished:
    if session.finish_reason is None:
        return SessionActive()
    return ClientSessionFinished.model_validate(
        {"reason": {"type": session.finish_reason}, "detail": session.finish_detail}
    )


def _matches(session: SessionRecord, body: SessionSearchRequest) -> bool:
    if body.session_id is not None and session.session_id != body.session_id:
        return False
    if body.project_ids is not None and (session.project_id or DEFAULT_PROJECT) not in body.project_ids:
        return False
    if body.display_name is not None and body.display_name.lower() not in (session.display_name or "").lower():
        return False
    if any(str(session.user_metadata.get(k)) != v for k, v in body.user_metadata.items()):
        return False
    if body.statuses is not None:
        status = _status(session)
        wanted = {q.type for q in body.statuses}
        if status.type not in wanted:
            return False
        if isinstance(status, ClientSessionFinished):
            reasons = [q for q in body.statuses if q.type == "client_finished"]
            if all(getattr(q, "reasons", None) and status.reason.type not in q.reasons for q in reasons):  # type: ignore[operator]
                return False
    return True


def _summary(call: Call, session: SessionRecord) -> SessionSummary:
    checkpoints = [
        c for c in call.server.state.live_checkpoints(call.server.clock.now()) if c.run_id in session.training_run_ids
    ]
    return SessionSummary(
        session_id=session.session_id,
        created_at=timestamp(session.created_at),
        owner=session.owner,
        project_id=session.project_id or DEFAULT_PROJECT,
        status=_status(session),
        checkpoints_count=len(checkpoints),
        display_name=session.display_name,
        user_metadata={str(k): str(v) for k, v in session.user_metadata.items()} or None,
        checkpoint_storage_bytes=sum(c.size_bytes for c in checkpoints),
    )


@handles("search_sessions")
async def search_sessions(call: Call) -> Response:
    body = call.parse(SessionSearchRequest)
    candidates = _newest_first(
        [s for s in call.server.state.sessions.values() if s.owner == call.owner and _matches(s, body)]
    )
    if body.cursor is not None:
        key = (body.cursor.last_created_at.timestamp(), body.cursor.last_session_id)
        candidates = [s for s in candidates if (s.created_at, s.session_id) < key]
    page = candidates[: body.limit]
    next_cursor = None
    if len(candidates) > body.limit:
        last = page[-1]
        next_cursor = SessionSearchCursor(
            last_created_at=datetime.fromtimestamp(last.created_at, tz=UTC), last_session_id=last.session_id
        )
    return ok(SessionSearchResponse(sessions=[_summary(call, s) for s in page], next_cursor=next_cursor))
