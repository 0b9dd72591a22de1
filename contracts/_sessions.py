"""Session REST endpoints and experimental session search (protocol reference §5 rows 37-41, §10, §19).

Request-side unions (search owners, status queries) dispatch on ``type`` with the SDK's
left-most member as the default for an absent tag; response-side statuses dispatch on ``type``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, TypeAlias

from pydantic import AwareDatetime, Field, Tag

from ._base import RequestModel, ResponseModel
from ._tags import tagged

__all__ = [
    "AccessibleSearchOwner",
    "ActiveSessionStatusQuery",
    "AssignSessionProjectRequest",
    "CancelledSessionStatusQuery",
    "ClientFinishedSessionStatusQuery",
    "ClientSessionFinishErrored",
    "ClientSessionFinishInterrupted",
    "ClientSessionFinishReason",
    "ClientSessionFinishReasonType",
    "ClientSessionFinishSuccess",
    "ClientSessionFinished",
    "FailedSessionStatusQuery",
    "GetSessionResponse",
    "ListSessionsResponse",
    "OwnSearchOwner",
    "SearchOwner",
    "SessionActive",
    "SessionCancelled",
    "SessionFailed",
    "SessionFailedReason",
    "SessionFailedRequestReason",
    "SessionFailedSamplingSessionReason",
    "SessionFailedTrainingRunReason",
    "SessionSearchCursor",
    "SessionSearchRequest",
    "SessionSearchResponse",
    "SessionStatus",
    "SessionStatusQuery",
    "SessionSummary",
    "TraceExportResponse",
    "UserSearchOwner",
]

ClientSessionFinishReasonType: TypeAlias = Literal["success", "errored", "interrupted"]
"""Why a client finished its session (``ServiceClient.close`` status, §4.4)."""


class ListSessionsResponse(ResponseModel):
    """Response of GET /api/v1/sessions (§5 row 37): session ids only, no cursor."""

    sessions: list[str]


class GetSessionResponse(ResponseModel):
    """Response of GET /api/v1/sessions/{session_id} (§5 row 38)."""

    training_run_ids: list[str]
    sampler_ids: list[str]
    user_metadata: dict[str, str] | None = None
    display_name: str | None = None


class AssignSessionProjectRequest(RequestModel):
    """Body of PUT /api/v1/sessions/{session_id}/project (§5 row 39)."""

    project_id: str


class TraceExportResponse(ResponseModel):
    """Response of GET /api/v1/sessions/{session_id}/trace_export (§5 row 40); ``url`` is set when ready."""

    status: Literal["pending", "ready", "failed"]
    url: str | None = None
    error: str | None = None


class OwnSearchOwner(RequestModel):
    """Search owner: the caller's own sessions (POST /api/v1/sessions/search)."""

    type: Literal["own"] = "own"


class AccessibleSearchOwner(RequestModel):
    """Search owner: every session the caller may list (POST /api/v1/sessions/search)."""

    type: Literal["accessible"] = "accessible"


class UserSearchOwner(RequestModel):
    """Search owner: the sessions of 1 to 10 listed users (POST /api/v1/sessions/search)."""

    type: Literal["user"] = "user"
    owner_urns: list[str] = Field(min_length=1, max_length=10)


SearchOwner: TypeAlias = Annotated[
    Annotated[OwnSearchOwner, Tag("own")]
    | Annotated[AccessibleSearchOwner, Tag("accessible")]
    | Annotated[UserSearchOwner, Tag("user")],
    tagged(default="own"),
]
"""``owner`` of a session search."""


class ActiveSessionStatusQuery(RequestModel):
    """Status filter: sessions still running (POST /api/v1/sessions/search)."""

    type: Literal["active"] = "active"


class CancelledSessionStatusQuery(RequestModel):
    """Status filter: sessions cancelled from the console (POST /api/v1/sessions/search)."""

    type: Literal["cancelled"] = "cancelled"


class FailedSessionStatusQuery(RequestModel):
    """Status filter: failed sessions (POST /api/v1/sessions/search)."""

    type: Literal["failed"] = "failed"


class ClientFinishedSessionStatusQuery(RequestModel):
    """Status filter: sessions the client closed, optionally by reason (POST /api/v1/sessions/search)."""

    type: Literal["client_finished"] = "client_finished"
    reasons: list[ClientSessionFinishReasonType] | None = Field(default=None, min_length=1)


SessionStatusQuery: TypeAlias = Annotated[
    Annotated[ActiveSessionStatusQuery, Tag("active")]
    | Annotated[CancelledSessionStatusQuery, Tag("cancelled")]
    | Annotated[FailedSessionStatusQuery, Tag("failed")]
    | Annotated[ClientFinishedSessionStatusQuery, Tag("client_finished")],
    tagged(default="active"),
]
"""One entry of a session search's ``statuses``."""


class SessionSearchCursor(ResponseModel):
    """Keyset cursor of session search: sent back as ``cursor``, returned as ``next_cursor``."""

    last_created_at: AwareDatetime
    last_session_id: str


class SessionSearchRequest(RequestModel):
    """Body of POST /api/v1/sessions/search (§5 row 41)."""

    session_id: str | None = None
    project_ids: list[str] | None = None
    user_metadata: dict[str, str] = {}
    display_name: str | None = Field(default=None, min_length=1)
    owner: SearchOwner = OwnSearchOwner()
    statuses: list[SessionStatusQuery] | None = Field(default=None, min_length=1)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: SessionSearchCursor | None = None


class SessionFailedRequestReason(ResponseModel):
    """A session failed because of one of its requests."""

    type: Literal["request"] = "request"
    request_id: str
    request_type: str


class SessionFailedTrainingRunReason(ResponseModel):
    """A session failed because of one of its training runs."""

    type: Literal["training_run"] = "training_run"
    training_run_id: str


class SessionFailedSamplingSessionReason(ResponseModel):
    """A session failed because of one of its sampling sessions."""

    type: Literal["sampling_session"] = "sampling_session"
    sampling_session_id: str


SessionFailedReason: TypeAlias = Annotated[
    SessionFailedRequestReason | SessionFailedTrainingRunReason | SessionFailedSamplingSessionReason,
    Field(discriminator="type"),
]
"""What failed a session."""


class SessionFailed(ResponseModel):
    """Session status: failed by a request, training run or sampling session."""

    type: Literal["failed"] = "failed"
    category: Literal["user", "internal"]
    reason: SessionFailedReason
    message: str


class SessionCancelled(ResponseModel):
    """Session status: cancelled from the console."""

    type: Literal["cancelled"] = "cancelled"
    detail: str | None = None


class ClientSessionFinishSuccess(ResponseModel):
    """Client finish reason ``success``."""

    type: Literal["success"] = "success"


class ClientSessionFinishErrored(ResponseModel):
    """Client finish reason ``errored``."""

    type: Literal["errored"] = "errored"


class ClientSessionFinishInterrupted(ResponseModel):
    """Client finish reason ``interrupted``."""

    type: Literal["interrupted"] = "interrupted"


ClientSessionFinishReason: TypeAlias = Annotated[
    ClientSessionFinishSuccess | ClientSessionFinishErrored | ClientSessionFinishInterrupted,
    Field(discriminator="type"),
]
"""The reason a client gave when finishing its session."""


class ClientSessionFinished(ResponseModel):
    """Session status: the client reported it was done (POST /api/v1/sessions/{id}/finish)."""

    type: Literal["client_finished"] = "client_finished"
    reason: ClientSessionFinishReason
    detail: str | None = None


class SessionActive(ResponseModel):
    """Session status: still running."""

    type: Literal["active"] = "active"


SessionStatus: TypeAlias = Annotated[
    SessionFailed | SessionCancelled | ClientSessionFinished | SessionActive,
    Field(discriminator="type"),
]
"""Status of a session in search results."""


class SessionSummary(ResponseModel):
    """One session of a search result page."""

    session_id: str
    created_at: datetime
    owner: str
    project_id: str
    status: SessionStatus | None = None
    checkpoints_count: int
    display_name: str | None = None
    user_metadata: dict[str, str] | None = None
    checkpoint_storage_bytes: int | None = None


class SessionSearchResponse(ResponseModel):
    """Response of POST /api/v1/sessions/search (§5 row 41), newest first."""

    sessions: list[SessionSummary]
    next_cursor: SessionSearchCursor | None = None
