"""AdminClient and CLI-only endpoints: audit log, billing, storage usage, whoami, API-key info.

Implements protocol reference §5 rows 42-46, §10, §13 and §19.

``WhoamiResponse`` is built client-side from JWT claims (§10), never sent by a server;
``ApiKeyInfoResponse`` is what ``tinker auth login`` reads from GET /api/v1/auth/apikey/me.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field

from ._base import ResponseModel

__all__ = [
    "ApiKeyDetails",
    "ApiKeyInfoResponse",
    "ApiKeyOrgDetails",
    "ApiKeyUserDetails",
    "AuditLogEntry",
    "AuditLogResponse",
    "BillingEventInfo",
    "BillingUsageEvent",
    "BillingUsageResponse",
    "BillingUsageSession",
    "CheckpointBillingEvent",
    "CurrentCheckpointStorageUsageItem",
    "CurrentCheckpointStorageUsageResponse",
    "SamplingPrefillBillingEvent",
    "SamplingSampleBillingEvent",
    "StorageBillingEvent",
    "TrainingBillingEvent",
    "WhoamiResponse",
]


class AuditLogEntry(ResponseModel):
    """One entry of GET /api/v1/audit (§5 row 42); ``event`` is ``<resource>_<action>``."""

    timestamp: datetime
    event: str
    event_details: dict[str, Any] = {}
    model_id: str | None = None
    tinker_path: str | None = None
    purpose: str | None = None


class AuditLogResponse(ResponseModel):
    """Response of GET /api/v1/audit (§5 row 42), sorted by timestamp."""

    entries: list[AuditLogEntry]


class TrainingBillingEvent(ResponseModel):
    """Billing usage kind: training tokens."""

    type: Literal["training"] = "training"
    token_count: int


class SamplingPrefillBillingEvent(ResponseModel):
    """Billing usage kind: prompt (prefill) tokens, cached or not."""

    type: Literal["sampling_prefill"] = "sampling_prefill"
    cached: bool
    token_count: int


class SamplingSampleBillingEvent(ResponseModel):
    """Billing usage kind: sampled tokens."""

    type: Literal["sampling_sample"] = "sampling_sample"
    token_count: int


class CheckpointBillingEvent(ResponseModel):
    """Billing usage kind: checkpoint operations."""

    type: Literal["checkpoint"] = "checkpoint"
    count: int


class StorageBillingEvent(ResponseModel):
    """Billing usage kind: checkpoint storage in gigabyte-hours."""

    type: Literal["storage"] = "storage"
    free: bool = False
    gigabyte_hours: float


BillingEventInfo: TypeAlias = Annotated[
    TrainingBillingEvent
    | SamplingPrefillBillingEvent
    | SamplingSampleBillingEvent
    | CheckpointBillingEvent
    | StorageBillingEvent,
    Field(discriminator="type"),
]
"""``event_info`` of a billing bucket, dispatched on ``type``."""


class BillingUsageEvent(ResponseModel):
    """One hourly usage bucket of GET /api/v1/billing/usage/events."""

    bucket_start: datetime
    bucket_end: datetime
    base_model: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    session_id: str | None = None
    project_id: str | None = None
    estimated_cost_usd: float | None = None
    effective_rate_usd_per_million_tokens: float | None = None
    effective_rate_usd_per_gigabyte_month: float | None = None
    event_info: BillingEventInfo


class BillingUsageSession(ResponseModel):
    """Per-session attributes in a billing usage response."""

    user_metadata: dict[str, str] | None = None


class BillingUsageResponse(ResponseModel):
    """Response of GET /api/v1/billing/usage/events (§5 row 43)."""

    data: list[BillingUsageEvent]
    sessions: dict[str, BillingUsageSession] = {}
    cost_data_through: datetime | None = None


class CurrentCheckpointStorageUsageItem(ResponseModel):
    """Storage of one project/owner group in the current storage usage."""

    project_id: str | None = None
    org_user_urn: str | None = None
    user_email: str | None = None
    user_name: str | None = None
    checkpoint_count: int
    size_bytes: int
    size_gigabytes: float
    estimated_monthly_cost_usd: float | None = None


class CurrentCheckpointStorageUsageResponse(ResponseModel):
    """Response of GET /api/v1/billing/usage/checkpoints/current (§5 row 44)."""

    effective_rate_usd_per_gigabyte_month: float | None = None
    data: list[CurrentCheckpointStorageUsageItem]


class WhoamiResponse(ResponseModel):
    """Identity decoded client-side from JWT claims by ``RestClient.whoami`` (§10); no endpoint."""

    user_urn: str
    org_urn: str
    email: str | None = None


class ApiKeyOrgDetails(ResponseModel):
    """The organization an API key belongs to (GET /api/v1/auth/apikey/me)."""

    name: str


class ApiKeyUserDetails(ResponseModel):
    """The user an API key belongs to (GET /api/v1/auth/apikey/me)."""

    email: str


class ApiKeyDetails(ResponseModel):
    """Owner details of an API key (GET /api/v1/auth/apikey/me); stored as-is in the credentials file."""

    org_details: ApiKeyOrgDetails
    user_details: ApiKeyUserDetails


class ApiKeyInfoResponse(ResponseModel):
    """Response of GET /api/v1/auth/apikey/me read by ``tinker auth login`` (§5 row 45); all keys required."""

    key_id: int
    name: str
    note: str
    details: ApiKeyDetails
