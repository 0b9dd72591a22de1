"""What one API key may see of runs, checkpoints and sessions, and their wire views
(protocol reference §5 rows 26-41, §10 "access_scope", §15.3).

Ownership is by API key (its fingerprint). ``owned`` shows the caller's own records;
``accessible`` adds other keys' runs and sessions that have a live *public* checkpoint, and of
those only the public checkpoints. Anything else of another key does not exist for the caller:
404, never 403. Expired checkpoints (TTL past on the server clock) are invisible everywhere.
TTLs given through REST (``set_checkpoint_ttl``, ``copy_weights``) must lie between 1 hour and
10 years, the range the SDK documents; null means no expiry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tinker_harness.contracts._checkpoints import Checkpoint, TrainingRun
from tinker_harness.contracts._schema_rules import CHECKPOINT_KINDS, MAX_TTL_SECONDS, MIN_TTL_SECONDS
from tinker_harness.mock_server.audit import sync_created
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.state import CheckpointRecord, SessionRecord, TrainingRunRecord

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer
    from tinker_harness.mock_server.calls import Call

__all__ = [
    "accessible_run",
    "checkpoint_view",
    "micros",
    "owned_checkpoint",
    "owner_urn",
    "public_run_ids",
    "purge_expired",
    "run_checkpoints",
    "run_view",
    "timestamp",
    "ttl_deadline",
    "visible_runs",
    "visible_sessions",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def micros(when: float | datetime) -> int:
    """Microseconds since the epoch, exactly as a timestamp survives a trip through JSON."""
    moment = when if isinstance(when, datetime) else timestamp(when)
    return (moment - _EPOCH) // (datetime.resolution)


def ttl_deadline(now: float, ttl_seconds: int | None) -> float | None:
    """When a checkpoint given ``ttl_seconds`` now expires (None: never); 400 outside 1 hour to 10 years."""
    if ttl_seconds is None:
        return None
    if not MIN_TTL_SECONDS <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ApiError.bad_request(
            "invalid-ttl",
            f"ttl_seconds must be between {MIN_TTL_SECONDS} (1 hour) and {MAX_TTL_SECONDS} (10 years) "
            f"or null, got {ttl_seconds}",
        )
    return now + ttl_seconds


def owner_urn(owner: str) -> str:
    """The user URN of an owner id, as JWT ``sub`` claims and session summaries name it."""
    return f"tml:user:{owner}"


def checkpoint_view(record: CheckpointRecord) -> Checkpoint:
    return Checkpoint(
        checkpoint_id=record.checkpoint_id,
        checkpoint_type=record.checkpoint_type,  # type: ignore[arg-type]
        time=timestamp(record.created_at),
        tinker_path=record.tinker_path,
        size_bytes=record.size_bytes,
        public=record.public,
        user_metadata=record.user_metadata,
        expires_at=timestamp(record.expires_at) if record.expires_at is not None else None,
    )


def purge_expired(server: MockServer) -> None:
    """Forget checkpoint records whose TTL has run out (their names become free again)."""
    now = server.clock.now()
    expired = [key for key, c in list(server.state.checkpoints.items()) if c.expired(now)]
    if expired:
        sync_created(server)  # the audit trail keeps their creation
        for key in expired:
            server.state.checkpoints.pop(key, None)


def run_checkpoints(server: MockServer, run_id: str, owner: str) -> list[CheckpointRecord]:
    """Live checkpoints of a run, oldest first: all of them for the owner, public ones for others."""
    return [
        c
        for c in server.state.live_checkpoints(server.clock.now())
        if c.run_id == run_id and (c.owner == owner or c.public)
    ]


def run_view(server: MockServer, run: TrainingRunRecord, owner: str) -> TrainingRun:
    checkpoints = run_checkpoints(server, run.run_id, owner)
    training = [c for c in checkpoints if c.kind == "weights"]
    sampler = [c for c in checkpoints if c.kind == "sampler_weights"]
    return TrainingRun(
        training_run_id=run.run_id,
        base_model=run.base_model,
        model_owner=owner_urn(run.owner),
        is_lora=True,
        lora_rank=run.lora_rank,
        last_request_time=timestamp(run.last_request_time),
        last_checkpoint=checkpoint_view(training[-1]) if training else None,
        last_sampler_checkpoint=checkpoint_view(sampler[-1]) if sampler else None,
        user_metadata=run.user_metadata,
    )


def public_run_ids(server: MockServer) -> set[str]:
    return {c.run_id for c in server.state.live_checkpoints(server.clock.now()) if c.public}


def visible_runs(server: MockServer, owner: str, scope: str) -> list[TrainingRunRecord]:
    """Runs the caller may list, newest first."""
    public = public_run_ids(server) if scope == "accessible" else set()
    runs = [r for r in list(server.state.runs.values()) if r.owner == owner or r.run_id in public]
    return sorted(runs, key=lambda r: (r.created_at, r.run_id), reverse=True)


def accessible_run(server: MockServer, run_id: str, owner: str, scope: str) -> TrainingRunRecord:
    run = server.state.runs.get(run_id)
    if run is None or not (run.owner == owner or (scope == "accessible" and run_id in public_run_ids(server))):
        raise ApiError.not_found("training run", run_id)
    return run


def visible_sessions(server: MockServer, owner: str, scope: str) -> list[SessionRecord]:
    """Sessions the caller may list, newest first (keyset order of session search)."""
    public: set[str] = set()
    if scope == "accessible":
        runs = public_run_ids(server)
        public = {server.state.runs[r].session_id for r in runs if r in server.state.runs}
    sessions = [s for s in list(server.state.sessions.values()) if s.owner == owner or s.session_id in public]
    return sorted(sessions, key=lambda s: (micros(s.created_at), s.session_id), reverse=True)


def owned_checkpoint(call: Call, *, allow_public: bool = False) -> CheckpointRecord:
    """The live checkpoint named by the path (the caller's own, or with ``allow_public`` a public one)."""
    run_id, checkpoint_id = call.path_params["training_run_id"], call.path_params["checkpoint_id"]
    if checkpoint_id.split("/", 1)[0] not in CHECKPOINT_KINDS:
        raise ApiError.bad_request(
            "invalid-checkpoint-id",
            f"checkpoint id {checkpoint_id!r} must be weights/<name>, sampler_weights/<name> "
            "or external_weights/<name>",
        )
    server = call.server
    record = server.state.checkpoint(
        run_id, checkpoint_id, call.owner, now=server.clock.now(), allow_public=allow_public
    )
    run = server.state.runs.get(run_id)
    if record.owner == call.owner and run is not None and run.session_id:
        call.session_id = run.session_id
    return record
