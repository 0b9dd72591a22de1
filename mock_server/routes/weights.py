"""Saving and loading weights (protocol reference §5 rows 13-16, §5.1, §8.1, §8.4; semantics §5).

``save_weights`` stores weights and optimizer state under ``weights/<name>``; sampler saves store
weights only under ``sampler_weights/<name>`` or, without a name, snapshot them into a new sampling
session; external saves go under ``external_weights/<name>`` (age-encrypted when the request names
recipients, :mod:`mock_server.age_encryption`). ``load_weights`` either creates a run
from a checkpoint (create-via-load, the model's seq_id 0) or loads into an existing run in seq_id
order (legacy). Only ``weights/`` checkpoints carry training state.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tinker_harness.contracts._training import (
    LoadWeightsRequest,
    LoadWeightsResponse,
    SaveWeightsExternalRequest,
    SaveWeightsExternalResponseInternal,
    SaveWeightsForSamplerRequest,
    SaveWeightsForSamplerResponseInternal,
    SaveWeightsRequest,
    SaveWeightsResponse,
)
from tinker_harness.mock_server.age_encryption import encrypt_files, parse_recipients
from tinker_harness.mock_server.calls import Call, handles
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.exports import plain_export_files
from tinker_harness.mock_server.futures import FutureResult, RequestFailure
from tinker_harness.mock_server.ids import sampler_id_for
from tinker_harness.mock_server.model import CheckpointFormatError, TrainableModel, TrainingState
from tinker_harness.mock_server.runs import checkpoint_name, live_session, register_run, resolve_checkpoint, submit_op
from tinker_harness.mock_server.samplers import register_sampler
from tinker_harness.mock_server.state import CheckpointRecord, TrainingRunRecord
from tinker_harness.mock_server.work import future_answer, new_future, run_future


def _ttl_expiry(call: Call, ttl_seconds: int | None) -> float | None:
    if ttl_seconds is None:
        return None
    if ttl_seconds <= 0:
        raise ApiError.bad_request(
            "invalid-ttl", f"ttl_seconds must be a positive number of seconds, got {ttl_seconds}"
        )
    return call.server.clock.now() + ttl_seconds


def _new_checkpoint(
    call: Call,
    run: TrainingRunRecord,
    kind: str,
    name: str,
    *,
    include_optimizer: bool,
    expires_at: float | None,
    overwrite: bool,
    user_metadata: dict[str, str] | None,
) -> CheckpointRecord:
    """Snapshot ``run``'s current weights as a checkpoint record (inside the run's queue, off the loop)."""
    taken = call.server.state.checkpoints.get((run.run_id, f"{kind}/{name}"))
    if taken is not None and not taken.expired(call.server.clock.now()) and not overwrite:
        raise RequestFailure(
            f"checkpoint tinker://{run.run_id}/{kind}/{name} already exists; "
            "choose another name or pass overwrite=True",
            "user",
        )
    return CheckpointRecord(
        run_id=run.run_id,
        kind=kind,
        name=name,
        owner=run.owner,
        created_at=call.server.clock.now(),
        state=run.model.save_state(include_optimizer=include_optimizer),
        has_optimizer=include_optimizer,
        expires_at=expires_at,
        user_metadata=user_metadata,
    )


def _stored(call: Call, record: CheckpointRecord, json_body: dict[str, Any]) -> FutureResult:
    """A result that adds ``record`` to the server state when the future completes."""

    def commit() -> None:
        call.server.state.checkpoints[(record.run_id, record.checkpoint_id)] = record

    return FutureResult(json_body, commit=commit)


def _default_name(run: TrainingRunRecord, seq_id: int | None) -> str:
    return f"step-{seq_id if seq_id is not None else run.model.step:06d}"


@handles("save_weights")
async def save_weights(call: Call) -> Response:
    body = call.parse(SaveWeightsRequest)
    run = call.server.state.run(body.model_id, call.owner)
    name = checkpoint_name(body.path, _default_name(run, body.seq_id))
    expires = _ttl_expiry(call, body.ttl_seconds)

    def compute() -> FutureResult:
        record = _new_checkpoint(
            call,
            run,
            "weights",
            name,
            include_optimizer=True,
            expires_at=expires,
            overwrite=body.overwrite,
            user_metadata=body.user_metadata,
        )
        return _stored(call, record, SaveWeightsResponse(path=record.tinker_path, type="save_weights").to_wire())

    return future_answer(submit_op(call, run, body.seq_id, compute))


@handles("save_weights_for_sampler")
async def save_weights_for_sampler(call: Call) -> Response:
    body = call.parse(SaveWeightsForSamplerRequest)
    run = call.server.state.run(body.model_id, call.owner)
    expires = _ttl_expiry(call, body.ttl_seconds)
    name = checkpoint_name(body.path, "") if body.path is not None else None
    session = call.server.state.sessions[run.session_id]
    if body.sampling_session_seq_id is not None:
        taken = sampler_id_for(session.session_id, body.sampling_session_seq_id)
        if taken in call.server.state.samplers:
            raise ApiError.bad_request(
                "sampling-session-seq-id-reused",
                f"sampling_session_seq_id {body.sampling_session_seq_id} was already used "
                f"in session {session.session_id!r}",
            )

    def compute() -> FutureResult:
        if name is not None:
            record = _new_checkpoint(
                call,
                run,
                "sampler_weights",
                name,
                include_optimizer=False,
                expires_at=expires,
                overwrite=True,
                user_metadata=body.user_metadata,
            )
            answer = SaveWeightsForSamplerResponseInternal(path=record.tinker_path, type="save_weights_for_sampler")
            return _stored(call, record, answer.to_wire())
        assert body.sampling_session_seq_id is not None  # the request model requires a name or a seq id
        live = body.kind == "inflight"
        model = run.model.model if live else run.model.sampling_model()
        sampler_seq = body.sampling_session_seq_id

        def commit() -> None:
            register_sampler(
                call,
                session,
                sampler_seq,
                base_model=run.base_model,
                model_path=None,
                model=model,
                live_run_id=run.run_id if live else None,
            )

        sampler_id = sampler_id_for(session.session_id, sampler_seq)
        answer = SaveWeightsForSamplerResponseInternal(sampling_session_id=sampler_id, type="save_weights_for_sampler")
        return FutureResult(answer.to_wire(), commit=commit)

    return future_answer(submit_op(call, run, body.seq_id, compute))


@handles("save_weights_external")
async def save_weights_external(call: Call) -> Response:
    body = call.parse(SaveWeightsExternalRequest)
    run = call.server.state.run(body.model_id, call.owner)
    name = checkpoint_name(body.path, "")
    expires = _ttl_expiry(call, body.ttl_seconds)
    recipients = None if body.age_encryption_recipients is None else parse_recipients(body.age_encryption_recipients)

    def compute() -> FutureResult:
        record = _new_checkpoint(
            call,
            run,
            "external_weights",
            name,
            include_optimizer=False,
            expires_at=expires,
            overwrite=True,
            user_metadata=None,
        )
        if recipients is not None:
            record.sealed_files = encrypt_files(plain_export_files(record), recipients)
        return _stored(
            call,
            record,
            SaveWeightsExternalResponseInternal(
                path=record.tinker_path, size_bytes=record.size_bytes, type="save_weights_external"
            ).to_wire(),
        )

    return future_answer(submit_op(call, run, body.seq_id, compute))


def _training_state(record: CheckpointRecord, *, with_optimizer: bool) -> bytes:
    if with_optimizer and not record.has_optimizer:
        raise ApiError.bad_request("no-optimizer-state", f"{record.tinker_path} holds no optimizer state")
    return record.state


@handles("load_weights")
async def load_weights(call: Call) -> Response:
    body = call.parse(LoadWeightsRequest)
    server = call.server
    checkpoint = resolve_checkpoint(call, body.path, kinds=("weights",))
    data = _training_state(checkpoint, with_optimizer=body.optimizer)
    if body.session_id is not None and body.model_seq_id is not None:  # create-via-load (§8.1)
        session = live_session(call, body.session_id)
        try:
            model = TrainableModel.from_state(data, with_optimizer=body.optimizer)
        except CheckpointFormatError as exc:
            raise ApiError.bad_request("corrupt-checkpoint", f"{body.path}: {exc}") from None
        info = TrainingState.from_bytes(data)
        if body.base_model is not None and body.base_model != info.base_model:
            raise ApiError.bad_request(
                "base-model-mismatch", f"{body.path} was trained from {info.base_model!r}, not {body.base_model!r}"
            )
        run = register_run(call, session, body.model_seq_id, model, {"type": info.optimizer}, body.user_metadata)
        record = new_future(call, model_id=run.run_id)
        result = FutureResult(LoadWeightsResponse(path=body.path, model_id=run.run_id, type="load_weights").to_wire())
        server.spawn(run_future(server, record, lambda: result))
        return future_answer(record)
    assert body.model_id is not None  # guaranteed by LoadWeightsRequest's addressing check
    target = server.state.run(body.model_id, call.owner)

    def compute() -> FutureResult:
        target.model.load_state(data, with_optimizer=body.optimizer)
        return FutureResult(LoadWeightsResponse(path=body.path, model_id=target.run_id, type="load_weights").to_wire())

    return future_answer(submit_op(call, target, body.seq_id, compute))
