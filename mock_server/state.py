"""All server state in one owned object (sessions, training runs, checkpoints, samplers, futures).

Nothing outside :class:`ServerState` keeps Tinker state. Each record belongs to the API key that
created it (by fingerprint, never the key itself); lookups by another key raise 404, not 403, as
the real service does (§10 "404 not found/not owner").
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal

from tinker_harness.mock_server.audit import AuditTrail
from tinker_harness.mock_server.completions import CompletionLog
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.futures import FutureStore
from tinker_harness.mock_server.ids import CHECKPOINT_KINDS, checkpoint_path
from tinker_harness.mock_server.model import LoraModel, TrainableModel
from tinker_harness.mock_server.scheduler import ModelQueue
from tinker_harness.mock_server.usage import UsageLedger

__all__ = [
    "CachedAnswer",
    "CheckpointRecord",
    "IdempotencyCache",
    "RecordedSequence",
    "SamplerRecord",
    "ServerState",
    "SessionRecord",
    "TrainingRunRecord",
]

FinishReason = Literal["success", "errored", "interrupted"]


@dataclass(frozen=True)
class RecordedSequence:
    """A sample kept for provenance checks (``record_stability_info``, mock_server.provenance)."""

    prompt: tuple[int, ...]
    sampled: tuple[int, ...]


@dataclass
class SessionRecord:
    session_id: str
    owner: str
    created_at: float
    sdk_version: str
    tags: list[str]
    user_metadata: dict[str, Any]
    project_id: str | None
    display_name: str | None
    last_heartbeat: float
    finish_reason: FinishReason | None = None
    finish_detail: str | None = None
    next_model_seq_id: int = 0
    training_run_ids: list[str] = field(default_factory=list)
    sampler_ids: list[str] = field(default_factory=list)
    trace_requested_at: float | None = None
    trace_polls: int = 0
    expired_at: float | None = None  # set when heartbeats stopped for session_expiry_seconds
    recorded_sequences: dict[str, RecordedSequence] = field(default_factory=dict)  # by sequence_id


@dataclass
class TrainingRunRecord:
    run_id: str
    owner: str
    session_id: str
    base_model: str
    lora_rank: int
    train_mlp: bool
    train_attn: bool
    train_unembed: bool
    optimizer_config: dict[str, Any]
    created_at: float
    last_request_time: float
    model: TrainableModel
    queue: ModelQueue
    user_metadata: dict[str, str] | None = None
    project_id: str | None = None


@dataclass
class CheckpointRecord:
    run_id: str
    kind: str  # URL segment: weights | sampler_weights | external_weights
    name: str
    owner: str
    created_at: float
    state: bytes
    has_optimizer: bool
    public: bool = False
    expires_at: float | None = None
    user_metadata: dict[str, str] | None = None
    archive_requested_at: float | None = None  # legacy archive being prepared (versions §7)
    archive_polls: int = 0
    # The export's files as stored when they are not derived from ``state`` (age-encrypted at save time).
    sealed_files: dict[str, bytes] | None = None

    @property
    def checkpoint_id(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def checkpoint_type(self) -> str:
        return CHECKPOINT_KINDS[self.kind]

    @property
    def tinker_path(self) -> str:
        return checkpoint_path(self.run_id, self.kind, self.name)

    @property
    def size_bytes(self) -> int:
        return len(self.state)

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass
class SamplerRecord:
    sampler_id: str
    owner: str
    session_id: str
    base_model: str
    model_path: str | None
    model: LoraModel  # an immutable snapshot (kind "snapshot"), or the run's live weights (kind "inflight")
    created_at: float
    live_run_id: str | None = None
    joined_clients: int = 0
    samples: int = 0
    completions: CompletionLog = field(default_factory=CompletionLog)


@dataclass(frozen=True)
class CachedAnswer:
    """A 2xx answer kept for replay, with a digest of the request body it answered."""

    body_digest: str
    status: int
    content: bytes
    media_type: str


class IdempotencyCache:
    """Answers replayed for a repeated ``X-Idempotency-Key`` (Stainless retries reuse the key, §2.1)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple[str, str, str], CachedAnswer] = OrderedDict()

    def get(self, owner: str, route: str, key: str) -> CachedAnswer | None:
        with self._lock:
            return self._answers.get((owner, route, key))

    def put(self, owner: str, route: str, key: str, answer: CachedAnswer) -> None:
        with self._lock:
            self._answers[(owner, route, key)] = answer
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)


class ServerState:
    """The mock's whole Tinker state; ``reset()`` returns it to empty."""

    def __init__(self) -> None:
        self._empty()

    def _empty(self) -> None:
        self.sessions: dict[str, SessionRecord] = {}
        # Idle-session sweeps: no session can expire before ``sweep_not_before`` (see sessions_lifecycle).
        self.sessions_swept_at = -math.inf
        self.sessions_sweep_not_before = -math.inf
        self.runs: dict[str, TrainingRunRecord] = {}
        self.checkpoints: dict[tuple[str, str], CheckpointRecord] = {}
        self.samplers: dict[str, SamplerRecord] = {}
        self.futures = FutureStore()
        self.idempotency = IdempotencyCache()
        self.telemetry: list[dict[str, Any]] = []
        self.custom_losses: dict[str, dict[str, Any]] = {}
        self.revoked_owners: set[str] = set()
        self.usage = UsageLedger()
        self.audit = AuditTrail()

    def reset(self) -> None:
        for run in self.runs.values():
            run.queue.close()
        self._empty()

    # --- lookups that enforce ownership (404 for foreign ids) ---
    def session(self, session_id: str, owner: str) -> SessionRecord:
        record = self.sessions.get(session_id)
        if record is None or record.owner != owner:
            raise ApiError.not_found("session", session_id)
        return record

    def run(self, run_id: str, owner: str) -> TrainingRunRecord:
        record = self.runs.get(run_id)
        if record is None or record.owner != owner:
            raise ApiError.not_found("training run", run_id)
        return record

    def sampler(self, sampler_id: str, owner: str) -> SamplerRecord:
        record = self.samplers.get(sampler_id)
        if record is None or record.owner != owner:
            raise ApiError.not_found("sampler", sampler_id)
        return record

    def checkpoint(
        self, run_id: str, checkpoint_id: str, owner: str, *, now: float, allow_public: bool = False
    ) -> CheckpointRecord:
        """A live checkpoint the caller owns (or, with ``allow_public``, a public one); else 404."""
        record = self.checkpoints.get((run_id, checkpoint_id))
        if record is None or record.expired(now) or (record.owner != owner and not (allow_public and record.public)):
            raise ApiError.not_found("checkpoint", f"tinker://{run_id}/{checkpoint_id}")
        return record

    def live_checkpoints(self, now: float) -> list[CheckpointRecord]:
        """Checkpoints whose TTL has not run out, oldest first."""
        return sorted((c for c in self.checkpoints.values() if not c.expired(now)), key=lambda c: c.created_at)
