"""REST: training runs and checkpoint management (protocol reference §5 rows 26-33, §10, §13).

Listings page by offset/limit, newest first, and echo a ``Cursor`` with the total. Visibility
follows :mod:`mock_server.rest_views` (``access_scope``; another key's private records are 404).
Only the owner may delete, publish, unpublish or set the TTL of a checkpoint; publishing a public
or unpublishing a private checkpoint is 409. A TTL counts on the server clock and an expired
checkpoint disappears from every listing and cannot be loaded. Each change is audited.
Handlers on checkpoint contents (exports, archive, weights_info, copy_weights) live in
:mod:`mock_server.routes.checkpoint_contents`, registered by the import below.
"""

from __future__ import annotations

from starlette.responses import Response

from tinker_harness.contracts._checkpoints import (
    CheckpointsListResponse,
    Cursor,
    SetCheckpointTtlRequest,
    TrainingRunsResponse,
)
from tinker_harness.contracts._queries import AccessScopeQuery, ListCheckpointsQuery, ListTrainingRunsQuery
from tinker_harness.mock_server.audit import note
from tinker_harness.mock_server.calls import Call, empty_ok, handles, ok
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.rest_views import (
    accessible_run,
    checkpoint_view,
    owned_checkpoint,
    purge_expired,
    run_checkpoints,
    run_view,
    timestamp,
    ttl_deadline,
    visible_runs,
)
from tinker_harness.mock_server.routes import checkpoint_contents  # noqa: F401  (registers the content handlers)

__all__ = ["timestamp"]


@handles("list_training_runs")
async def list_training_runs(call: Call) -> Response:
    query = call.query(ListTrainingRunsQuery)
    purge_expired(call.server)
    runs = [
        r
        for r in visible_runs(call.server, call.owner, query.access_scope)
        if query.project_id is None or r.project_id == query.project_id
    ]
    page = runs[query.offset : query.offset + query.limit]
    return ok(
        TrainingRunsResponse(
            training_runs=[run_view(call.server, r, call.owner) for r in page],
            cursor=Cursor(offset=query.offset, limit=query.limit, total_count=len(runs)),
        )
    )


@handles("get_training_run")
async def get_training_run(call: Call) -> Response:
    query = call.query(AccessScopeQuery)
    run = accessible_run(call.server, call.path_params["training_run_id"], call.owner, query.access_scope)
    call.session_id = run.session_id if run.owner == call.owner and run.session_id else None
    return ok(run_view(call.server, run, call.owner))


@handles("list_checkpoints")
async def list_checkpoints(call: Call) -> Response:
    run_id = call.path_params["training_run_id"]
    purge_expired(call.server)
    run = call.server.state.runs.get(run_id)
    checkpoints = run_checkpoints(call.server, run_id, call.owner)
    if run is None or (run.owner != call.owner and not checkpoints):
        raise ApiError.not_found("training run", run_id)
    call.session_id = run.session_id if run.owner == call.owner and run.session_id else None
    return ok(CheckpointsListResponse(checkpoints=[checkpoint_view(c) for c in checkpoints]))


@handles("list_user_checkpoints")
async def list_user_checkpoints(call: Call) -> Response:
    query = call.query(ListCheckpointsQuery)
    purge_expired(call.server)
    mine = [c for c in call.server.state.live_checkpoints(call.server.clock.now()) if c.owner == call.owner]
    mine.sort(key=lambda c: (c.created_at, c.tinker_path), reverse=True)
    page = mine[query.offset : query.offset + query.limit]
    return ok(
        CheckpointsListResponse(
            checkpoints=[checkpoint_view(c) for c in page],
            cursor=Cursor(offset=query.offset, limit=query.limit, total_count=len(mine)),
        )
    )


@handles("delete_checkpoint")
async def delete_checkpoint(call: Call) -> Response:
    record = owned_checkpoint(call)
    note(call.server, call.owner, "checkpoint_deleted", model_id=record.run_id, tinker_path=record.tinker_path)
    call.server.state.checkpoints.pop((record.run_id, record.checkpoint_id), None)
    return empty_ok()


@handles("publish_checkpoint")
async def publish_checkpoint(call: Call) -> Response:
    record = owned_checkpoint(call)
    if record.public:
        raise ApiError(409, "already-public", f"{record.tinker_path} is already public")
    record.public = True
    note(call.server, call.owner, "checkpoint_published", model_id=record.run_id, tinker_path=record.tinker_path)
    return empty_ok()


@handles("unpublish_checkpoint")
async def unpublish_checkpoint(call: Call) -> Response:
    record = owned_checkpoint(call)
    if not record.public:
        raise ApiError(409, "already-private", f"{record.tinker_path} is already private")
    record.public = False
    note(call.server, call.owner, "checkpoint_unpublished", model_id=record.run_id, tinker_path=record.tinker_path)
    return empty_ok()


@handles("set_checkpoint_ttl")
async def set_checkpoint_ttl(call: Call) -> Response:
    body = call.parse(SetCheckpointTtlRequest)
    record = owned_checkpoint(call)
    record.expires_at = ttl_deadline(call.server.clock.now(), body.ttl_seconds)
    details = {"ttl_seconds": body.ttl_seconds}
    note(
        call.server,
        call.owner,
        "checkpoint_ttl_set",
        model_id=record.run_id,
        tinker_path=record.tinker_path,
        details=details,
    )
    return empty_ok()
