"""Billing views derived from recorded usage and stored checkpoints (protocol reference §5 rows 43-44,
§10 AdminClient, §13 ``tinker billing``).

``billing_usage`` groups the caller's usage events (:mod:`mock_server.usage`) into hourly buckets
per (kind, base model, session, cached) inside ``[starting_on, ending_before)``, plus a
``checkpoint`` bucket counting checkpoints created in each hour. Costs use the flat rates below
(plausible list prices, not real ones). ``storage_usage`` sums the caller's live checkpoints per
project.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tinker_harness.contracts._admin import (
    BillingUsageEvent,
    BillingUsageResponse,
    BillingUsageSession,
    CurrentCheckpointStorageUsageItem,
    CurrentCheckpointStorageUsageResponse,
)
from tinker_harness.mock_server.rest_views import owner_urn, timestamp
from tinker_harness.mock_server.usage import sync_from_futures

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["RATES_USD_PER_MILLION_TOKENS", "STORAGE_USD_PER_GB_MONTH", "billing_usage", "storage_usage"]

RATES_USD_PER_MILLION_TOKENS = {"training": 0.40, "sampling_prefill": 0.13, "sampling_sample": 0.40}
STORAGE_USD_PER_GB_MONTH = 0.10
HOUR = 3600.0
GIB = 1024**3

_Key = tuple[float, str, str | None, str | None, bool, str | None]


def _hour(at: float) -> float:
    return at - at % HOUR


def billing_usage(server: MockServer, owner: str, start: datetime, end: datetime) -> BillingUsageResponse:
    """The caller's usage buckets in ``[start, end)`` (both timezone-aware)."""
    sync_from_futures(server)
    lo, hi = start.timestamp(), end.timestamp()
    tokens: dict[_Key, int] = defaultdict(int)
    for event in server.state.usage.events(owner):
        if lo <= event.at < hi:
            key = (_hour(event.at), event.kind, event.base_model, event.session_id, event.cached, event.project_id)
            tokens[key] += event.tokens
    counts: dict[_Key, int] = defaultdict(int)
    for record in list(server.state.checkpoints.values()):
        if record.owner == owner and lo <= record.created_at < hi:
            run = server.state.runs.get(record.run_id)
            session_id = run.session_id if run is not None and run.session_id else None
            base = run.base_model if run is not None else None
            project = run.project_id if run is not None else None
            counts[(_hour(record.created_at), "checkpoint", base, session_id, False, project)] += 1
    data = [_bucket(owner, key, token_count=n) for key, n in sorted(tokens.items(), key=_order)]
    data += [_bucket(owner, key, count=n) for key, n in sorted(counts.items(), key=_order)]
    data.sort(key=lambda e: (e.bucket_start, e.event_info.type))
    sessions = {}
    for bucket in data:
        session = server.state.sessions.get(bucket.session_id) if bucket.session_id else None
        if session is not None:
            metadata = {str(k): str(v) for k, v in session.user_metadata.items()} or None
            sessions[session.session_id] = BillingUsageSession(user_metadata=metadata)
    return BillingUsageResponse(data=data, sessions=sessions, cost_data_through=timestamp(server.clock.now()))


def _order(item: tuple[_Key, int]) -> tuple[Any, ...]:
    key = item[0]
    return tuple("" if part is None else str(part) for part in key)


def _bucket(owner: str, key: _Key, *, token_count: int | None = None, count: int | None = None) -> BillingUsageEvent:
    start, kind, base_model, session_id, cached, project_id = key
    info: dict[str, Any] = {"type": kind}
    rate = RATES_USD_PER_MILLION_TOKENS.get(kind)
    if token_count is not None:
        info["token_count"] = token_count
        if kind == "sampling_prefill":
            info["cached"] = cached
    else:
        info["count"] = count
    cost = token_count * rate / 1e6 if token_count is not None and rate is not None else 0.0
    return BillingUsageEvent.model_validate(
        {
            "bucket_start": timestamp(start),
            "bucket_end": timestamp(start + HOUR),
            "base_model": base_model,
            "user_id": owner_urn(owner),
            "session_id": session_id,
            "project_id": project_id,
            "estimated_cost_usd": round(cost, 9),
            "effective_rate_usd_per_million_tokens": rate,
            "event_info": info,
        }
    )


def storage_usage(server: MockServer, owner: str, project_id: str | None) -> CurrentCheckpointStorageUsageResponse:
    """The caller's live checkpoints, counted and sized per project."""
    totals: dict[str | None, list[int]] = {}
    for record in server.state.live_checkpoints(server.clock.now()):
        run = server.state.runs.get(record.run_id)
        project = run.project_id if run is not None else None
        if record.owner != owner or (project_id is not None and project != project_id):
            continue
        count_size = totals.setdefault(project, [0, 0])
        count_size[0] += 1
        count_size[1] += record.size_bytes
    items = [
        CurrentCheckpointStorageUsageItem(
            project_id=project,
            org_user_urn=owner_urn(owner),
            user_email=f"{owner}@mock.invalid",
            checkpoint_count=count,
            size_bytes=size,
            size_gigabytes=size / GIB,
            estimated_monthly_cost_usd=round(size / GIB * STORAGE_USD_PER_GB_MONTH, 9),
        )
        for project, (count, size) in sorted(totals.items(), key=lambda kv: kv[0] or "")
    ]
    return CurrentCheckpointStorageUsageResponse(
        effective_rate_usd_per_gigabyte_month=STORAGE_USD_PER_GB_MONTH, data=items
    )
