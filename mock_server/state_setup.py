"""Put sessions, training runs and checkpoints straight into a server's state, for tests.

Going through the API costs a training step per checkpoint; these helpers make thousands of
records in milliseconds, exactly as the handlers would (same ids, same ownership by API-key
fingerprint, real checkpoint state bytes that ``load_weights``, ``weights_info`` and downloads
read). Call them while no client is talking to the server. Times default to the server clock.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from tinker_harness.mock_server.ids import key_fingerprint, model_id_for
from tinker_harness.mock_server.model import LoraConfig, TrainableModel
from tinker_harness.mock_server.scheduler import ModelQueue
from tinker_harness.mock_server.state import CheckpointRecord, SessionRecord, TrainingRunRecord

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["add_checkpoint", "add_run", "add_session"]

# Checkpoints of one run made here share the bytes of its weights as they were at the first one.
_STATE_CACHE: weakref.WeakKeyDictionary[TrainableModel, dict[bool, bytes]] = weakref.WeakKeyDictionary()


def add_session(
    server: MockServer,
    api_key: str,
    *,
    created_at: float | None = None,
    user_metadata: dict[str, Any] | None = None,
    project_id: str | None = None,
    display_name: str | None = None,
    tags: tuple[str, ...] = (),
) -> SessionRecord:
    """A session created at ``created_at`` whose last heartbeat is now (alive, whatever its age)."""
    now = server.clock.now() if created_at is None else created_at
    record = SessionRecord(
        session_id=server.ids.uuid(),
        owner=key_fingerprint(api_key),
        created_at=now,
        sdk_version="state-setup",
        tags=sorted(set(tags)),
        user_metadata=dict(user_metadata or {}),
        project_id=project_id,
        display_name=display_name,
        last_heartbeat=server.clock.now(),
    )
    server.state.sessions[record.session_id] = record
    return record


def add_run(
    server: MockServer,
    api_key: str,
    *,
    session: SessionRecord | None = None,
    base_model: str = "Qwen/Qwen3-8B",
    rank: int = 4,
    seed: int = 0,
    created_at: float | None = None,
) -> TrainingRunRecord:
    """A training run ``{session}:train:{n}`` of a fresh LoRA model (a new session unless given)."""
    session = session if session is not None else add_session(server, api_key, created_at=created_at)
    lora = LoraConfig(rank=rank, seed=seed, train_mlp=True, train_attn=True, train_unembed=True)
    model = TrainableModel.create(base_model, server.vocabulary(base_model).vocab_size, lora, "adamw")
    run_id = model_id_for(session.session_id, session.next_model_seq_id)
    now = server.clock.now() if created_at is None else created_at
    run = TrainingRunRecord(
        run_id=run_id,
        owner=session.owner,
        session_id=session.session_id,
        base_model=base_model,
        lora_rank=rank,
        train_mlp=True,
        train_attn=True,
        train_unembed=True,
        optimizer_config={"type": "adamw"},
        created_at=now,
        last_request_time=now,
        model=model,
        queue=ModelQueue(
            run_id, server.clock, server.config.seq_gap_timeout, cycle_seconds=server.config.cycle_seconds
        ),
        project_id=session.project_id,
    )
    server.state.runs[run_id] = run
    session.training_run_ids.append(run_id)
    session.next_model_seq_id += 1
    return run


def add_checkpoint(
    server: MockServer,
    run: TrainingRunRecord,
    kind: str,
    name: str,
    *,
    created_at: float | None = None,
    ttl_seconds: float | None = None,
    public: bool = False,
    user_metadata: dict[str, str] | None = None,
) -> CheckpointRecord:
    """A checkpoint of ``run``'s current weights (with optimizer state for ``weights/``)."""
    with_optimizer = kind == "weights"
    states = _STATE_CACHE.setdefault(run.model, {})
    if with_optimizer not in states:
        states[with_optimizer] = run.model.save_state(include_optimizer=with_optimizer)
    now = server.clock.now() if created_at is None else created_at
    record = CheckpointRecord(
        run_id=run.run_id,
        kind=kind,
        name=name,
        owner=run.owner,
        created_at=now,
        state=states[with_optimizer],
        has_optimizer=with_optimizer,
        public=public,
        expires_at=None if ttl_seconds is None else now + ttl_seconds,
        user_metadata=user_metadata,
    )
    server.state.checkpoints[(run.run_id, record.checkpoint_id)] = record
    return record
