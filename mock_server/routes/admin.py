"""Admin, billing and CLI-auth endpoints (protocol reference §5 rows 42-46, §13).

The audit log lists checkpoint events of the caller's runs; storage usage sums the caller's live
checkpoints per project; billing usage lists the usage buckets recorded from the caller's requests.
``DELETE /auth/apikey/me`` revokes the calling key: later calls with it get 401.
"""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from contracts._admin import (
    ApiKeyInfoResponse,
    AuditLogEntry,
    AuditLogResponse,
    BillingUsageResponse,
    CurrentCheckpointStorageUsageItem,
    CurrentCheckpointStorageUsageResponse,
)
from contracts._queries import AuditLogQuery, BillingUsageQuery, CheckpointStorageQuery
from mock_server.calls import Call, empty_ok, handles, ok
from mock_server.errors import ApiError
from mock_server.routes.checkpoints import timestamp

GIB = 1024**3


@handles("audit_log")
async def audit_log(call: Call) -> Response:
    query = call.query(AuditLogQuery)
    entries = []
    if query.event_type in ("all", "checkpoints"):
        for record in call.server.state.live_checkpoints(call.server.clock.now()):
            when = timestamp(record.created_at)
            if record.owner != call.owner or (query.day is not None and when.date().isoformat() != query.day):
                continue
            entries.append(
                AuditLogEntry(
                    timestamp=when,
                    event="checkpoint_created",
                    model_id=record.run_id,
                    tinker_path=record.tinker_path,
                    event_details={"checkpoint_type": record.checkpoint_type},
                )
            )
    return ok(AuditLogResponse(entries=entries))


def _rfc3339(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, "invalid-query", f"{name} must be an RFC 3339 timestamp, got {value!r}") from None
    if parsed.tzinfo is None:
        raise ApiError(422, "invalid-query", f"{name} must carry a timezone, got {value!r}")
    return parsed


@handles("billing_usage")
async def billing_usage(call: Call) -> Response:
    query = call.query(BillingUsageQuery)
    start, end = _rfc3339(query.starting_on, "starting_on"), _rfc3339(query.ending_before, "ending_before")
    if end <= start:
        raise ApiError(422, "invalid-query", "ending_before must be after starting_on")
    return ok(BillingUsageResponse(data=[]))


@handles("checkpoint_storage_usage")
async def checkpoint_storage_usage(call: Call) -> Response:
    query = call.query(CheckpointStorageQuery)
    state = call.server.state
    totals: dict[str | None, list[int]] = {}
    for record in state.live_checkpoints(call.server.clock.now()):
        run = state.runs.get(record.run_id)
        project = run.project_id if run is not None else None
        if record.owner != call.owner or (query.project_id is not None and project != query.project_id):
            continue
        count_size = totals.setdefault(project, [0, 0])
        count_size[0] += 1
        count_size[1] += record.size_bytes
    items = [
        CurrentCheckpointStorageUsageItem(
            project_id=p,
            org_user_urn=f"tml:user:{call.owner}",
            checkpoint_count=c,
            size_bytes=b,
            size_gigabytes=b / GIB,
        )
        for p, (c, b) in totals.items()
    ]
    return ok(CurrentCheckpointStorageUsageResponse(data=items))


@handles("get_api_key")
async def get_api_key(call: Call) -> Response:
    return ok(
        ApiKeyInfoResponse.model_validate(
            {
                "key_id": int(call.owner[4:12], 16),
                "name": "tinker-harness key",
                "note": "accepted by the mock server",
                "details": {
                    "org_details": {"name": "tinker-harness"},
                    "user_details": {"email": f"{call.owner}@mock.invalid"},
                },
            }
        )
    )


@handles("delete_api_key")
async def delete_api_key(call: Call) -> Response:
    call.server.state.revoked_owners.add(call.owner)
    return empty_ok()
