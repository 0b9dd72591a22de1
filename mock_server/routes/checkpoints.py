"""REST: training runs and checkpoints (protocol reference §5 rows 26-36, §10, §13; versions §7).

Listings page by offset/limit and echo a ``Cursor``. Every lookup is scoped to the caller's key:
another key's private runs and checkpoints are 404, never 403. ``access_scope=accessible`` also
shows runs with public checkpoints. Publishing twice or unpublishing a private checkpoint is 409.
Downloads go through URLs signed by the mock and served under ``/_harness/files/``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import RedirectResponse, Response

from contracts._checkpoints import (
    Checkpoint,
    CheckpointsListResponse,
    CopyWeightsRequest,
    CopyWeightsResponse,
    Cursor,
    ExternalWeightsUrlsResponse,
    SetCheckpointTtlRequest,
    TrainingRun,
    TrainingRunsResponse,
    WeightsInfoRequest,
    WeightsInfoResponse,
)
from contracts._optimizers import AdamOptimizerConfig, DimuonOptimizerConfig
from contracts._queries import AccessScopeQuery, ListCheckpointsQuery, ListTrainingRunsQuery
from mock_server.calls import Call, empty_ok, handles, ok
from mock_server.errors import ApiError
from mock_server.exports import ARCHIVE_NAME, export_files
from mock_server.model import TrainableModel, TrainingState
from mock_server.runs import resolve_checkpoint
from mock_server.scheduler import ModelQueue
from mock_server.state import CheckpointRecord, TrainingRunRecord

URL_LIFETIME_SECONDS = 3600.0


def timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


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


def _run_checkpoints(call: Call, run_id: str) -> list[CheckpointRecord]:
    return [c for c in call.server.state.live_checkpoints(call.server.clock.now()) if c.run_id == run_id]


def run_view(call: Call, run: TrainingRunRecord) -> TrainingRun:
    checkpoints = _run_checkpoints(call, run.run_id)
    training = [c for c in checkpoints if c.kind == "weights"]
    sampler = [c for c in checkpoints if c.kind == "sampler_weights"]
    return TrainingRun(
        training_run_id=run.run_id,
        base_model=run.base_model,
        model_owner=run.owner,
        is_lora=True,
        lora_rank=run.lora_rank,
        last_request_time=timestamp(run.last_request_time),
        last_checkpoint=checkpoint_view(training[-1]) if training else None,
        last_sampler_checkpoint=checkpoint_view(sampler[-1]) if sampler else None,
        user_metadata=run.user_metadata,
    )


def _visible_runs(call: Call, scope: str) -> list[TrainingRunRecord]:
    now = call.server.clock.now()
    public_runs = {c.run_id for c in call.server.state.live_checkpoints(now) if c.public}
    return [
        r
        for r in call.server.state.runs.values()
        if r.owner == call.owner or (scope == "accessible" and r.run_id in public_runs)
    ]


def _page(total: int, offset: int, limit: int) -> slice:
    return slice(offset, offset + limit)


@handles("list_training_runs")
async def list_training_runs(call: Call) -> Response:
    query = call.query(ListTrainingRunsQuery)
    runs = [
        r
        for r in _visible_runs(call, query.access_scope)
        if query.project_id is None or r.project_id == query.project_id
    ]
    runs.sort(key=lambda r: (r.created_at, r.run_id), reverse=True)
    page = runs[_page(len(runs), query.offset, query.limit)]
    return ok(
        TrainingRunsResponse(
            training_runs=[run_view(call, r) for r in page],
            cursor=Cursor(offset=query.offset, limit=query.limit, total_count=len(runs)),
        )
    )


def _accessible_run(call: Call, run_id: str, scope: str) -> TrainingRunRecord:
    for run in _visible_runs(call, scope):
        if run.run_id == run_id:
            return run
    raise ApiError.not_found("training run", run_id)


@handles("get_training_run")
async def get_training_run(call: Call) -> Response:
    query = call.query(AccessScopeQuery)
    run = _accessible_run(call, call.path_params["training_run_id"], query.access_scope)
    call.session_id = run.session_id or None
    return ok(run_view(call, run))


@handles("list_checkpoints")
async def list_checkpoints(call: Call) -> Response:
    run = call.server.state.run(call.path_params["training_run_id"], call.owner)
    call.session_id = run.session_id or None
    return ok(CheckpointsListResponse(checkpoints=[checkpoint_view(c) for c in _run_checkpoints(call, run.run_id)]))


@handles("list_user_checkpoints")
async def list_user_checkpoints(call: Call) -> Response:
    query = call.query(ListCheckpointsQuery)
    mine = [c for c in call.server.state.live_checkpoints(call.server.clock.now()) if c.owner == call.owner]
    mine.sort(key=lambda c: (c.created_at, c.tinker_path), reverse=True)
    page = mine[_page(len(mine), query.offset, query.limit)]
    return ok(
        CheckpointsListResponse(
            checkpoints=[checkpoint_view(c) for c in page],
            cursor=Cursor(offset=query.offset, limit=query.limit, total_count=len(mine)),
        )
    )


def _own_checkpoint(call: Call) -> CheckpointRecord:
    run_id, checkpoint_id = call.path_params["training_run_id"], call.path_params["checkpoint_id"]
    kind = checkpoint_id.split("/", 1)[0]
    if kind not in ("weights", "sampler_weights", "external_weights"):
        raise ApiError.bad_request(
            "invalid-checkpoint-id",
            f"checkpoint id {checkpoint_id!r} must be weights/<name>, sampler_weights/<name> "
            "or external_weights/<name>",
        )
    record = call.server.state.checkpoint(run_id, checkpoint_id, call.owner, now=call.server.clock.now())
    run = call.server.state.runs.get(run_id)
    call.session_id = run.session_id if run is not None and run.session_id else None
    return record


@handles("delete_checkpoint")
async def delete_checkpoint(call: Call) -> Response:
    record = _own_checkpoint(call)
    del call.server.state.checkpoints[(record.run_id, record.checkpoint_id)]
    return empty_ok()


@handles("publish_checkpoint")
async def publish_checkpoint(call: Call) -> Response:
    record = _own_checkpoint(call)
    if record.public:
        raise ApiError(409, "already-public", f"{record.tinker_path} is already public")
    record.public = True
    return empty_ok()


@handles("unpublish_checkpoint")
async def unpublish_checkpoint(call: Call) -> Response:
    record = _own_checkpoint(call)
    if not record.public:
        raise ApiError(409, "already-private", f"{record.tinker_path} is already private")
    record.public = False
    return empty_ok()


@handles("set_checkpoint_ttl")
async def set_checkpoint_ttl(call: Call) -> Response:
    body = call.parse(SetCheckpointTtlRequest)
    record = _own_checkpoint(call)
    if body.ttl_seconds is not None and body.ttl_seconds <= 0:
        raise ApiError.bad_request("invalid-ttl", f"ttl_seconds must be positive or null, got {body.ttl_seconds}")
    record.expires_at = None if body.ttl_seconds is None else call.server.clock.now() + body.ttl_seconds
    return empty_ok()


def _signed(call: Call, record: CheckpointRecord, filename: str, expires: float) -> str:
    return call.server.signer.sign(
        call.server.public_url, f"{record.run_id}/{record.checkpoint_id}/{filename}", expires
    )


@handles("external_weights_urls")
async def external_weights_urls(call: Call) -> Response:
    record = _own_checkpoint(call)
    if record.kind != "external_weights":
        raise ApiError.bad_request("not-an-export", f"{record.tinker_path} is not an external_weights checkpoint")
    expires = call.server.clock.now() + URL_LIFETIME_SECONDS
    urls = {name: _signed(call, record, name, expires) for name in sorted(export_files(record))}
    return ok(ExternalWeightsUrlsResponse(urls=urls, expires=timestamp(expires)))


@handles("checkpoint_archive")
async def checkpoint_archive(call: Call) -> Response:
    record = _own_checkpoint(call)
    expires = call.server.clock.now() + URL_LIFETIME_SECONDS
    url = _signed(call, record, ARCHIVE_NAME, expires)
    expires_header = timestamp(expires).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return RedirectResponse(url, status_code=302, headers={"Expires": expires_header})


@handles("weights_info")
async def weights_info(call: Call) -> Response:
    body = call.parse(WeightsInfoRequest)
    record = resolve_checkpoint(call, body.tinker_path, kinds=("weights", "sampler_weights", "external_weights"))
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
    source = resolve_checkpoint(call, body.source_path, kinds=("weights", "sampler_weights"))
    server = call.server
    now = server.clock.now()
    run_id = f"{server.ids.uuid()}:copy:0"
    model = TrainableModel.from_state(source.state, with_optimizer=source.has_optimizer)
    lora = model.lora_config
    server.state.runs[run_id] = TrainingRunRecord(
        run_id=run_id,
        owner=call.owner,
        session_id="",
        base_model=model.base_model,
        lora_rank=lora.rank,
        train_mlp=lora.train_mlp,
        train_attn=lora.train_attn,
        train_unembed=lora.train_unembed,
        optimizer_config={"type": model.optimizer_kind},
        created_at=now,
        last_request_time=now,
        model=model,
        queue=ModelQueue(run_id, server.clock, server.config.seq_gap_timeout),
        project_id=body.destination_project_id,
    )
    if body.ttl_seconds is not None and body.ttl_seconds <= 0:
        raise ApiError.bad_request("invalid-ttl", f"ttl_seconds must be positive, got {body.ttl_seconds}")
    copy = CheckpointRecord(
        run_id=run_id,
        kind=source.kind,
        name=source.name,
        owner=call.owner,
        created_at=now,
        state=source.state,
        has_optimizer=source.has_optimizer,
        user_metadata=source.user_metadata,
        expires_at=None if body.ttl_seconds is None else now + body.ttl_seconds,
    )
    server.state.checkpoints[(run_id, copy.checkpoint_id)] = copy
    return ok(CopyWeightsResponse(tinker_path=copy.tinker_path))
