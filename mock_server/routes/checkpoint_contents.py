"""REST on checkpoint contents: downloads, weights_info and copy_weights
(protocol reference §5 rows 34-36, §10, §13; versions §7).

A caller may read its own checkpoints and other keys' public ones. ``external_weights_urls``
signs one URL per export file; the legacy ``…/archive`` answers as :mod:`mock_server.downloads`
describes (302, or 200 JSON, optionally after 503s). ``copy_weights`` copies a checkpoint, as the
SDK documents, into "a new training run in a new session" of the destination project, owned by the
caller: run ``<session>:train:0``, the session already finished (it never trains or beats). The
SDK pins one ``X-Idempotency-Key`` per call across its retries and the app replays the first
answer for a repeated key, so a retried copy never makes a second copy.
"""

from __future__ import annotations

from starlette.responses import Response

from tinker_harness.contracts._checkpoints import (
    CopyWeightsRequest,
    CopyWeightsResponse,
    ExternalWeightsUrlsResponse,
    WeightsInfoRequest,
    WeightsInfoResponse,
)
from tinker_harness.contracts._optimizers import AdamOptimizerConfig, DimuonOptimizerConfig
from tinker_harness.mock_server.audit import note
from tinker_harness.mock_server.calls import Call, handles, ok
from tinker_harness.mock_server.downloads import archive_answer, checkpoint_file_url, url_expiry
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.exports import export_files
from tinker_harness.mock_server.model import TrainableModel, TrainingState
from tinker_harness.mock_server.rest_views import owned_checkpoint, timestamp, ttl_deadline
from tinker_harness.mock_server.runs import register_run, resolve_checkpoint
from tinker_harness.mock_server.state import CheckpointRecord, SessionRecord

_ALL_KINDS = ("weights", "sampler_weights", "external_weights")


@handles("external_weights_urls")
async def external_weights_urls(call: Call) -> Response:
    record = owned_checkpoint(call, allow_public=True)
    if record.kind != "external_weights":
        raise ApiError.bad_request("not-an-export", f"{record.tinker_path} is not an external_weights checkpoint")
    expires = url_expiry(call.server)
    urls = {name: checkpoint_file_url(call.server, record, name, expires) for name in sorted(export_files(record))}
    return ok(ExternalWeightsUrlsResponse(urls=urls, expires=timestamp(expires)))


@handles("checkpoint_archive")
async def checkpoint_archive(call: Call) -> Response:
    return archive_answer(call, owned_checkpoint(call, allow_public=True))


@handles("weights_info")
async def weights_info(call: Call) -> Response:
    body = call.parse(WeightsInfoRequest)
    record = resolve_checkpoint(call, body.tinker_path, kinds=_ALL_KINDS)
    state = TrainingState.from_bytes(record.state)
    lora = state.lora_config
    return ok(
        WeightsInfoResponse(
            base_model=state.base_model,
            is_lora=True,
            lora_rank=lora.rank,
            train_unembed=lora.train_unembed,
            train_mlp=lora.train_mlp,
            train_attn=lora.train_attn,
            optimizer_config=DimuonOptimizerConfig() if state.optimizer == "dimuon" else AdamOptimizerConfig(),
        )
    )


@handles("copy_weights")
async def copy_weights(call: Call) -> Response:
    body = call.parse(CopyWeightsRequest)
    server = call.server
    now = server.clock.now()
    expires_at = ttl_deadline(now, body.ttl_seconds)
    source = resolve_checkpoint(call, body.source_path, kinds=("weights", "sampler_weights"))
    session = SessionRecord(
        session_id=server.ids.uuid(),
        owner=call.owner,
        created_at=now,
        sdk_version=call.header("x-stainless-package-version") or "unknown",
        tags=[],
        user_metadata={"copied_from": source.tinker_path},
        project_id=body.destination_project_id,
        display_name=f"copy of {source.tinker_path}",
        last_heartbeat=now,
        finish_reason="success",
        finish_detail="created by copy_weights",
        next_model_seq_id=1,
    )
    server.state.sessions[session.session_id] = session
    model = TrainableModel.from_state(source.state, with_optimizer=source.has_optimizer)
    run_id = register_run(call, session, 0, model, {"type": model.optimizer_kind}, user_metadata=None).run_id
    copy = CheckpointRecord(
        run_id=run_id,
        kind=source.kind,
        name=source.name,
        owner=call.owner,
        created_at=now,
        state=source.state,
        has_optimizer=source.has_optimizer,
        user_metadata=source.user_metadata,
        expires_at=expires_at,
    )
    server.state.checkpoints[(run_id, copy.checkpoint_id)] = copy
    details = {"source_path": source.tinker_path, "destination_project_id": body.destination_project_id}
    note(server, call.owner, "checkpoint_copied", model_id=run_id, tinker_path=copy.tinker_path, details=details)
    return ok(CopyWeightsResponse(tinker_path=copy.tinker_path))
