"""Training runs and their checkpoints: creation, ordered ops, checkpoint naming and loading.

Shared by the training, weights and REST handlers (protocol reference §5.1, §8.1, §8.2, §10,
semantics §5). A run is created by ``create_model`` or by create-via-load; every later op of the run
goes through its :class:`ModelQueue` in ``seq_id`` order and settles a future.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf.message import DecodeError

from tinker_harness.contracts._checkpoints import ParsedCheckpointTinkerPath, parse_tinker_path
from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.request_json import load_json
from tinker_harness.mock_server.calls import Call
from tinker_harness.mock_server.config import BaseModelSpec
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.futures import FutureRecord
from tinker_harness.mock_server.ids import model_id_for
from tinker_harness.mock_server.model import LoraConfig, TrainableModel
from tinker_harness.mock_server.scheduler import ModelQueue
from tinker_harness.mock_server.sessions_lifecycle import ensure_alive
from tinker_harness.mock_server.state import CheckpointRecord, SessionRecord, TrainingRunRecord
from tinker_harness.mock_server.work import Compute, new_future, run_future

__all__ = [
    "checkpoint_name",
    "live_session",
    "release_refused_seq_id",
    "register_run",
    "resolve_checkpoint",
    "submit_op",
    "supported_base_model",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")
MAX_LORA_RANK = 512


def live_session(call: Call, session_id: str) -> SessionRecord:
    """The caller's session; 410 once it has finished or expired (its work can no longer be submitted)."""
    record = call.server.state.session(session_id, call.owner)
    call.session_id = session_id
    ensure_alive(call.server, record)
    return record


def supported_base_model(call: Call, name: str, *, for_training: bool) -> BaseModelSpec:
    spec = call.server.config.supported_model(name)
    if spec is None or (for_training and not spec.trainable) or (not for_training and not spec.sampleable):
        usable = [
            m.model_name for m in call.server.config.base_models if (m.trainable if for_training else m.sampleable)
        ]
        what = "training" if for_training else "sampling"
        raise ApiError.bad_request(
            "unsupported-base-model", f"base model {name!r} is not available for {what}; available: {usable}"
        )
    return spec


def checkpoint_name(name: str | None, fallback: str) -> str:
    """A checkpoint name from the request (it becomes one path segment), or ``fallback``."""
    if name is None:
        return fallback
    if not _NAME.match(name):
        raise ApiError.bad_request(
            "invalid-checkpoint-name",
            f"checkpoint name {name!r} must be 1-128 characters of letters, digits, '.', '_' or '-' "
            "(it becomes one segment of a tinker:// path)",
        )
    return name


def lora_settings(raw: Any) -> LoraConfig:
    """The model's LoRA config from the request's ``lora_config`` (defaults to rank 32, all groups)."""
    rank = raw.rank if raw is not None else 32
    if not 1 <= rank <= MAX_LORA_RANK:
        raise ApiError.bad_request("invalid-lora-rank", f"lora_config.rank must be in [1, {MAX_LORA_RANK}], got {rank}")
    if raw is None:
        return LoraConfig(rank=rank, seed=None, train_mlp=True, train_attn=True, train_unembed=True)
    if not (raw.train_mlp or raw.train_attn or raw.train_unembed):
        raise ApiError.bad_request("invalid-lora-config", "lora_config must train at least one of mlp, attn, unembed")
    return LoraConfig(
        rank=rank, seed=raw.seed, train_mlp=raw.train_mlp, train_attn=raw.train_attn, train_unembed=raw.train_unembed
    )


def register_run(
    call: Call,
    session: SessionRecord,
    model_seq_id: int,
    model: TrainableModel,
    optimizer_config: dict[str, Any],
    user_metadata: dict[str, Any] | None,
) -> TrainingRunRecord:
    """Add a run ``{session}:train:{model_seq_id}``; the id must be new in the session."""
    server = call.server
    run_id = model_id_for(session.session_id, model_seq_id)
    if run_id in server.state.runs:
        raise ApiError.bad_request(
            "model-seq-id-reused", f"model_seq_id {model_seq_id} was already used in session {session.session_id!r}"
        )
    now = server.clock.now()
    lora = model.lora_config
    run = TrainingRunRecord(
        run_id=run_id,
        owner=call.owner,
        session_id=session.session_id,
        base_model=model.base_model,
        lora_rank=lora.rank,
        train_mlp=lora.train_mlp,
        train_attn=lora.train_attn,
        train_unembed=lora.train_unembed,
        optimizer_config=optimizer_config,
        created_at=now,
        last_request_time=now,
        model=model,
        queue=ModelQueue(
            run_id, server.clock, server.config.seq_gap_timeout, cycle_seconds=server.config.cycle_seconds
        ),
        user_metadata={str(k): str(v) for k, v in user_metadata.items()} if user_metadata else None,
        project_id=session.project_id,
    )
    server.state.runs[run_id] = run
    session.training_run_ids.append(run_id)
    session.next_model_seq_id = max(session.next_model_seq_id, model_seq_id + 1)
    return run


def submit_op(
    call: Call, run: TrainingRunRecord, seq_id: int | None, compute: Compute, request_type: str | None = None
) -> FutureRecord:
    """Queue ``compute`` on the run in ``seq_id`` order and return its future."""
    call.session_id = run.session_id
    record = new_future(call, model_id=run.run_id)
    if request_type is not None:
        record.request_type = request_type
    server = call.server

    async def op() -> None:
        run.last_request_time = server.clock.now()
        record.extra["cycle"] = run.queue.current_cycle
        await run_future(server, record, compute)

    try:
        run.queue.submit(seq_id if seq_id is not None else 0, op)
    except ApiError:
        server.state.futures.discard(record.request_id)
        raise
    return record


_SEQUENCED_ENDPOINTS = frozenset(
    {
        "forward",
        "forward_backward",
        "optim_step",
        "save_weights",
        "save_weights_for_sampler",
        "save_weights_external",
        "load_weights",
    }
)


def release_refused_seq_id(call: Call) -> None:
    """After a training submit was refused (4xx), let the run's queue move past its seq_id."""
    if call.endpoint.name not in _SEQUENCED_ENDPOINTS or not call.body:
        return
    model_id, seq_id = _model_and_seq(call)
    run = call.server.state.runs.get(model_id) if model_id else None
    if run is not None and run.owner == call.owner and isinstance(seq_id, int) and seq_id >= 0:
        run.queue.release(seq_id)


def _model_and_seq(call: Call) -> tuple[str | None, int | None]:
    if call.endpoint.name == "forward_backward" and "protobuf" in (call.header("content-type") or ""):
        try:
            head = pb.ForwardBackwardRequest.FromString(call.body)
        except DecodeError:
            return None, None
        return head.model_id, head.seq_id
    try:
        body = load_json(call.body)
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    model_id, seq_id = body.get("model_id"), body.get("seq_id")
    return (model_id if isinstance(model_id, str) else None), (seq_id if isinstance(seq_id, int) else None)


def parse_path(path: str) -> ParsedCheckpointTinkerPath:
    try:
        return parse_tinker_path(path)
    except ValueError as exc:
        raise ApiError.bad_request("invalid-tinker-path", str(exc)) from None


def resolve_checkpoint(call: Call, path: str, *, kinds: tuple[str, ...]) -> CheckpointRecord:
    """The checkpoint at a ``tinker://`` path the caller may read (own or public) of one of ``kinds``."""
    parsed = parse_path(path)
    kind = parsed.checkpoint_id.split("/", 1)[0]
    if kind not in kinds:
        raise ApiError.bad_request(
            "wrong-checkpoint-kind", f"{path!r} is a {kind} checkpoint; this operation needs one of {list(kinds)}"
        )
    return call.server.state.checkpoint(
        parsed.training_run_id, parsed.checkpoint_id, call.owner, now=call.server.clock.now(), allow_public=True
    )
