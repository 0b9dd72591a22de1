"""REST: sessions (protocol reference §5 rows 37-41, §10).

Listing pages by offset/limit, newest first; search pages by a keyset cursor
``(last_created_at, last_session_id)`` over the same order, compared at the microsecond precision
the cursor has on the wire. ``access_scope=accessible`` (search owner ``accessible``) adds other
keys' sessions that own a public checkpoint; owner ``user`` narrows to listed user URNs.
Statuses come from :func:`mock_server.sessions_lifecycle.session_status` (an expired session is
``cancelled``). A trace export answers ``pending`` to ``ServerConfig.trace_export_pending_polls``
polls, then ``ready`` with a signed URL to a Chrome-trace JSON of the session's journaled requests,
or ``failed`` when the journal no longer holds any of them.
"""

from __future__ import annotations

from starlette.responses import Response

from tinker_harness.contracts._queries import AccessScopeQuery, ListSessionsQuery
from tinker_harness.contracts._sessions import (
    AssignSessionProjectRequest,
    GetSessionResponse,
    ListSessionsResponse,
    SessionSearchCursor,
    SessionSearchRequest,
    SessionSearchResponse,
    SessionSummary,
    TraceExportResponse,
    UserSearchOwner,
)
from tinker_harness.mock_server.audit import note
from tinker_harness.mock_server.calls import Call, empty_ok, handles, ok
from tinker_harness.mock_server.downloads import url_expiry
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.rest_views import micros, owner_urn, timestamp, visible_sessions
from tinker_harness.mock_server.sessions_lifecycle import expire_idle_sessions, session_status
from tinker_harness.mock_server.state import SessionRecord

DEFAULT_PROJECT = "default"


def _visible_session(call: Call, scope: str) -> SessionRecord:
    session_id = call.path_params["session_id"]
    for session in visible_sessions(call.server, call.owner, scope):
        if session.session_id == session_id:
            if session.owner == call.owner:
                call.session_id = session_id
            return session
    raise ApiError.not_found("session", session_id)


def _metadata(session: SessionRecord) -> dict[str, str] | None:
    return {str(k): str(v) for k, v in session.user_metadata.items()} or None


@handles("list_sessions")
async def list_sessions(call: Call) -> Response:
    query = call.query(ListSessionsQuery)
    expire_idle_sessions(call.server)
    sessions = visible_sessions(call.server, call.owner, query.access_scope)
    page = sessions[query.offset : query.offset + query.limit]
    return ok(ListSessionsResponse(sessions=[s.session_id for s in page]))


@handles("get_session")
async def get_session(call: Call) -> Response:
    query = call.query(AccessScopeQuery)
    session = _visible_session(call, query.access_scope)
    return ok(
        GetSessionResponse(
            training_run_ids=list(session.training_run_ids),
            sampler_ids=list(session.sampler_ids),
            user_metadata=_metadata(session),
            display_name=session.display_name,
        )
    )


@handles("assign_session_project")
async def assign_session_project(call: Call) -> Response:
    body = call.parse(AssignSessionProjectRequest)
    session = call.server.state.session(call.path_params["session_id"], call.owner)
    call.session_id = session.session_id
    previous = session.project_id
    session.project_id = body.project_id
    for run_id in session.training_run_ids:
        call.server.state.runs[run_id].project_id = body.project_id
    details = {"session_id": session.session_id, "project_id": body.project_id, "previous_project_id": previous}
    note(call.server, call.owner, "project_session_assigned", details=details)
    return empty_ok()


@handles("export_session_trace")
async def export_session_trace(call: Call) -> Response:
    session = call.server.state.session(call.path_params["session_id"], call.owner)
    call.session_id = session.session_id
    server = call.server
    if session.trace_requested_at is None:
        session.trace_requested_at = server.clock.now()
    session.trace_polls += 1
    if session.trace_polls <= server.config.trace_export_pending_polls:
        return ok(TraceExportResponse(status="pending"))
    traced = server.journal.entries(session_id=session.session_id, where=lambda e: e.endpoint != call.endpoint.name)
    if not traced:
        detail = f"no requests of session {session.session_id!r} are left in the journal to build a trace from"
        return ok(TraceExportResponse(status="failed", error=detail))
    url = server.signer.sign(server.public_url, f"traces/{session.session_id}.pftrace", url_expiry(server))
    return ok(TraceExportResponse(status="ready", url=url))


def _matches(call: Call, session: SessionRecord, body: SessionSearchRequest) -> bool:
    if body.session_id is not None and session.session_id != body.session_id:
        return False
    if isinstance(body.owner, UserSearchOwner) and owner_urn(session.owner) not in body.owner.owner_urns:
        return False
    if body.project_ids is not None and (session.project_id or DEFAULT_PROJECT) not in body.project_ids:
        return False
    if body.display_name is not None and body.display_name.lower() not in (session.display_name or "").lower():
        return False
    if any(str(session.user_metadata.get(k)) != v for k, v in body.user_metadata.items()):
        return False
    if body.statuses is None:
        return True
    status = session_status(call.server, session)
    for wanted in body.statuses:
        if wanted.type == status.type:
            reasons = getattr(wanted, "reasons", None)
            reason = getattr(getattr(status, "reason", None), "type", None)
            if not reasons or reason in reasons:
                return True
    return False


def _summary(call: Call, session: SessionRecord) -> SessionSummary:
    checkpoints = [
        c for c in call.server.state.live_checkpoints(call.server.clock.now()) if c.run_id in session.training_run_ids
    ]
    return SessionSummary(
        session_id=session.session_id,
        created_at=timestamp(session.created_at),
        owner=owner_urn(session.owner),
        project_id=session.project_id or DEFAULT_PROJECT,
        status=session_status(call.server, session),
        checkpoints_count=len(checkpoints),
        display_name=session.display_name,
        user_metadata=_metadata(session),
        checkpoint_storage_bytes=sum(c.size_bytes for c in checkpoints),
    )


@handles("search_sessions")
async def search_sessions(call: Call) -> Response:
    body = call.parse(SessionSearchRequest)
    scope = "owned" if body.owner.type == "own" else "accessible"
    candidates = [s for s in visible_sessions(call.server, call.owner, scope) if _matches(call, s, body)]
    if body.cursor is not None:
        key = (micros(body.cursor.last_created_at), body.cursor.last_session_id)
        candidates = [s for s in candidates if (micros(s.created_at), s.session_id) < key]
    page = candidates[: body.limit]
    next_cursor = None
    if len(candidates) > body.limit:
        last = page[-1]
        next_cursor = SessionSearchCursor(last_created_at=timestamp(last.created_at), last_session_id=last.session_id)
    return ok(SessionSearchResponse(sessions=[_summary(call, s) for s in page], next_cursor=next_cursor))
