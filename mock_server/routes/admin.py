"""Admin, billing and CLI-auth endpoints (protocol reference §5 rows 42-46, §10 AdminClient, §13).

* ``GET /audit`` lists the caller's audit trail (:mod:`mock_server.audit`); with
  ``ServerConfig.audit_redirect`` it answers 302 to a signed JSON file instead, as the real service
  may (the 0.38 SDK follows it on its ``REST_SUPPORT_REDIRECT`` pool, §1.1).
* ``GET /billing/usage/events`` and ``/billing/usage/checkpoints/current``: :mod:`mock_server.billing`.
* ``GET /auth/apikey/me`` describes the calling key (what ``tinker auth login`` stores);
  ``DELETE /auth/apikey/me`` revokes it: later calls with it get 401.
"""

from __future__ import annotations

from datetime import datetime

from starlette.responses import RedirectResponse, Response

from tinker_harness.contracts._admin import ApiKeyInfoResponse
from tinker_harness.contracts._queries import AuditLogQuery, BillingUsageQuery, CheckpointStorageQuery
from tinker_harness.mock_server.audit import audit_day, audit_log_for
from tinker_harness.mock_server.billing import billing_usage, storage_usage
from tinker_harness.mock_server.calls import Call, empty_ok, handles, ok
from tinker_harness.mock_server.downloads import url_expiry
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.routes.files import audit_file_path


@handles("audit_log")
async def audit_log(call: Call) -> Response:
    query = call.query(AuditLogQuery)
    server = call.server
    day = audit_day(server, query.day)
    if server.config.audit_redirect:
        path = audit_file_path(call.owner, query.event_type, day)
        return RedirectResponse(server.signer.sign(server.public_url, path, url_expiry(server)), status_code=302)
    return ok(audit_log_for(server, call.owner, query.event_type, day))


def _rfc3339(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, "invalid-query", f"{name} must be an RFC 3339 timestamp, got {value!r}") from None
    if parsed.tzinfo is None:
        raise ApiError(422, "invalid-query", f"{name} must carry a timezone, got {value!r}")
    return parsed


@handles("billing_usage")
async def billing_usage_events(call: Call) -> Response:
    query = call.query(BillingUsageQuery)
    start, end = _rfc3339(query.starting_on, "starting_on"), _rfc3339(query.ending_before, "ending_before")
    if end <= start:
        raise ApiError(422, "empty-time-range", "ending_before must be after starting_on")
    return ok(billing_usage(call.server, call.owner, start, end))


@handles("checkpoint_storage_usage")
async def checkpoint_storage_usage(call: Call) -> Response:
    query = call.query(CheckpointStorageQuery)
    return ok(storage_usage(call.server, call.owner, query.project_id))


@handles("get_api_key")
async def get_api_key(call: Call) -> Response:
    return ok(
        ApiKeyInfoResponse.model_validate(
            {
                "key_id": int(call.owner[4:12], 16),
                "name": f"tinker-harness key {call.owner[4:12]}",
                "note": "accepted by the tinker-harness mock server",
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
