"""Query-string parameters of the GET endpoints (protocol reference §5 rows 26-29, 37-38, 42-44, §10).

Pagination is offset/limit only; ``access_scope`` is ``owned`` or ``accessible``. Query models
ignore unknown parameters, as HTTP servers do, but reject bad values of known ones.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccessScope",
    "AccessScopeQuery",
    "AuditLogQuery",
    "BillingUsageQuery",
    "CheckpointStorageQuery",
    "ListCheckpointsQuery",
    "ListSessionsQuery",
    "ListTrainingRunsQuery",
]

AccessScope = Literal["owned", "accessible"]


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class AccessScopeQuery(_Query):
    """``?access_scope=`` of GET /api/v1/training_runs/{id} and /api/v1/sessions/{id}."""

    access_scope: AccessScope = "owned"


class ListTrainingRunsQuery(_Query):
    """GET /api/v1/training_runs (§5 row 26)."""

    limit: int = Field(default=20, ge=0)
    offset: int = Field(default=0, ge=0)
    access_scope: AccessScope = "owned"
    project_id: str | None = None


class ListCheckpointsQuery(_Query):
    """GET /api/v1/checkpoints (§5 row 29)."""

    limit: int = Field(default=100, ge=0)
    offset: int = Field(default=0, ge=0)


class ListSessionsQuery(_Query):
    """GET /api/v1/sessions (§5 row 37)."""

    limit: int = Field(default=20, ge=0)
    offset: int = Field(default=0, ge=0)
    access_scope: AccessScope = "owned"


class AuditLogQuery(_Query):
    """GET /api/v1/audit (§5 row 42)."""

    event_type: Literal["all", "checkpoints", "projects", "teams", "organizations"] = "all"
    day: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class BillingUsageQuery(_Query):
    """GET /api/v1/billing/usage/events (§5 row 43): RFC 3339 bounds."""

    starting_on: str = Field(json_schema_extra={"format": "date-time"})
    ending_before: str = Field(json_schema_extra={"format": "date-time"})


class CheckpointStorageQuery(_Query):
    """GET /api/v1/billing/usage/checkpoints/current (§5 row 44)."""

    project_id: str | None = None
