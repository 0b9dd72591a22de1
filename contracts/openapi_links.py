"""OpenAPI links: which response value feeds which later call (protocol reference §4, §6, §8-§10).

A link names the target operation and the runtime expressions that fill its parameters or body
fields from the source's 200 answer. Schemathesis's state machine follows them to build call
sequences (create a session, create a model in it, train it, poll the futures).

Limits: the results of submits (a saved checkpoint's ``tinker://`` path, a loaded model's id) come
back through ``retrieve_future``, whose 200 answer is one of many shapes chosen by the future's
origin; a link cannot say "when this future was a save", so those values are reached instead
through the REST listings (``list_checkpoints`` gives paths and ids). Sequence numbers
(``model_seq_id``, ``seq_id``) must be fresh per session or model, which no expression can state.
"""

from __future__ import annotations

from typing import Any

__all__ = ["links_for"]

SESSION = "$response.body#/session_id"
MODEL = "$response.body#/model_id"
SAMPLER = "$response.body#/sampling_session_id"
FUTURE = "$response.body#/request_id"
RUN_IN_LIST = "$response.body#/training_runs/0/training_run_id"
SESSION_IN_LIST = "$response.body#/sessions/0"
CHECKPOINT_IN_LIST = "$response.body#/checkpoints/0/checkpoint_id"
PATH_IN_LIST = "$response.body#/checkpoints/0/tinker_path"

_SUBMITS = (
    "create_model",
    "forward",
    "optim_step",
    "save_weights",
    "save_weights_for_sampler",
    "save_weights_external",
    "load_weights",
    "unload_model",
    "create_custom_loss",
    "asample",
)


def _body(target: str, **fields: str) -> dict[str, Any]:
    return {"operationId": target, "requestBody": dict(fields)}


def _path(target: str, **params: str) -> dict[str, Any]:
    return {"operationId": target, "parameters": {f"path.{name}": value for name, value in params.items()}}


def _session_links(expression: str) -> dict[str, dict[str, Any]]:
    return {
        "FinishSession": _path("finish_session", session_id=expression),
        "GetSession": _path("get_session", session_id=expression),
        "AssignSessionProject": _path("assign_session_project", session_id=expression),
        "ExportSessionTrace": _path("export_session_trace", session_id=expression),
    }


def _run_links(expression: str) -> dict[str, dict[str, Any]]:
    return {
        "GetTrainingRun": _path("get_training_run", training_run_id=expression),
        "ListCheckpoints": _path("list_checkpoints", training_run_id=expression),
    }


_LINKS: dict[str, dict[str, dict[str, Any]]] = {
    "create_session": {
        "CreateModel": _body("create_model", session_id=SESSION),
        "Heartbeat": _body("session_heartbeat", session_id=SESSION),
        "CreateSamplingSession": _body("create_sampling_session", session_id=SESSION),
        "CreateCustomLoss": _body("create_custom_loss", session_id=SESSION),
        **_session_links(SESSION),
    },
    "create_model": {
        "GetInfo": _body("get_info", model_id=MODEL),
        "OptimStep": _body("optim_step", model_id=MODEL),
        "Forward": _body("forward", model_id=MODEL),
        "SaveWeights": _body("save_weights", model_id=MODEL),
        "SaveWeightsForSampler": _body("save_weights_for_sampler", model_id=MODEL),
        "SaveWeightsExternal": _body("save_weights_external", model_id=MODEL),
        "UnloadModel": _body("unload_model", model_id=MODEL),
        **_run_links(MODEL),
    },
    "create_sampling_session": {
        "GetSampler": _path("get_sampler", sampler_id=SAMPLER),
        "JoinSamplingSession": _body("join_sampling_session", sampling_session_id=SAMPLER),
        "Sample": _body("asample", sampling_session_id=SAMPLER),
    },
    "asample": {"CancelFuture": _body("cancel_future", request_id=FUTURE)},
    "list_sessions": _session_links(SESSION_IN_LIST),
    "list_training_runs": _run_links(RUN_IN_LIST),
    "list_checkpoints": {
        name: _path(target, training_run_id="$request.path.training_run_id", checkpoint_id=CHECKPOINT_IN_LIST)
        for name, target in (
            ("DeleteCheckpoint", "delete_checkpoint"),
            ("PublishCheckpoint", "publish_checkpoint"),
            ("UnpublishCheckpoint", "unpublish_checkpoint"),
            ("SetCheckpointTtl", "set_checkpoint_ttl"),
            ("ExternalWeightsUrls", "external_weights_urls"),
        )
    }
    | {"WeightsInfo": _body("weights_info", tinker_path=PATH_IN_LIST)},
}


def links_for(endpoint_name: str) -> dict[str, dict[str, Any]]:
    """The links of ``endpoint_name``'s 200 answer (every submit also links its future to the poll)."""
    links = dict(_LINKS.get(endpoint_name, {}))
    if endpoint_name in _SUBMITS:
        links["RetrieveFuture"] = _body("retrieve_future", request_id=FUTURE)
    return links
