"""Training endpoints: create_model, get_info, forward/forward_backward, optim_step, unload, custom losses
(protocol reference §5 rows 9-12, 23; §7.1, §8.1-§8.5; versions §3 for the JSON bodies of 0.15/0.22).

Every op of a run is queued in ``seq_id`` order and settles a future; forward/backward results are
kept in both encodings so a poll gets protobuf or JSON as its ``Accept`` header asks.
"""

from __future__ import annotations

import numpy as np
from starlette.responses import Response

from tinker_harness.contracts._optimizers import AdamOptimizerConfig, AdamParams, DimuonOptimizerConfig, DimuonParams
from tinker_harness.contracts._training import (
    CreateCustomLossRequest,
    CreateCustomLossResponse,
    CreateModelRequest,
    CreateModelResponse,
    ForwardBackwardRequestBody,
    ForwardRequestBody,
    GetInfoRequest,
    GetInfoResponse,
    ModelData,
    OptimStepRequest,
    OptimStepResponse,
    UnloadModelRequest,
    UnloadModelResponse,
)
from tinker_harness.mock_server import model as tiny
from tinker_harness.mock_server.calls import Call, handles, ok
from tinker_harness.mock_server.codec import FwdBwdCall, decode_fwdbwd_json, decode_fwdbwd_proto, fwdbwd_result_bodies
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.futures import FutureResult
from tinker_harness.mock_server.model import TrainableModel, UserInputError
from tinker_harness.mock_server.model.custom import CustomLoss, compile_custom_loss
from tinker_harness.mock_server.provenance import check_provenance
from tinker_harness.mock_server.runs import live_session, lora_settings, register_run, submit_op, supported_base_model
from tinker_harness.mock_server.state import TrainingRunRecord
from tinker_harness.mock_server.tokenizer import TOKENIZER_DIR
from tinker_harness.mock_server.work import Compute, future_answer, new_future, run_future

MODEL_ARCH = "tinker-harness-bigram-lora"


def _optimizer_kind(config: object) -> str:
    if isinstance(config, AdamOptimizerConfig):
        return "adamw"
    if isinstance(config, DimuonOptimizerConfig):
        return "dimuon"
    kind = getattr(config, "type", "?")
    raise ApiError.bad_request(
        "unsupported-optimizer", f"optimizer_config type {kind!r} is not supported (use 'adamw' or 'dimuon')"
    )


@handles("create_model")
async def create_model(call: Call) -> Response:
    body = call.parse(CreateModelRequest)
    session = live_session(call, body.session_id)
    spec = supported_base_model(call, body.base_model, for_training=True)
    kind = _optimizer_kind(body.optimizer_config)
    lora = lora_settings(body.lora_config)
    seed = int(call.server.rng.integers(2**63))
    vocab_size = call.server.vocabulary(spec.model_name).vocab_size
    model = TrainableModel.create(spec.model_name, vocab_size, lora, kind, rng=np.random.default_rng(seed))
    run = register_run(call, session, body.model_seq_id, model, body.optimizer_config.to_wire(), body.user_metadata)
    record = new_future(call, model_id=run.run_id)
    result = FutureResult(CreateModelResponse(model_id=run.run_id).to_wire())
    call.server.spawn(run_future(call.server, record, lambda: result))
    return future_answer(record)


def run_info(call: Call, run: TrainingRunRecord) -> GetInfoResponse:
    own = call.server.vocabulary(run.base_model).tokenizer_id
    tokenizer_id = call.server.config.tokenizer_id or own or str(TOKENIZER_DIR)
    return GetInfoResponse(
        type="get_info",
        model_data=ModelData(arch=MODEL_ARCH, model_name=run.base_model, tokenizer_id=tokenizer_id),
        model_id=run.run_id,
        optimizer_config=AdamOptimizerConfig()
        if run.optimizer_config.get("type") == "adamw"
        else DimuonOptimizerConfig(),
        is_lora=True,
        lora_rank=run.lora_rank,
        model_name=run.base_model,
    )


@handles("get_info")
async def get_info(call: Call) -> Response:
    body = call.parse(GetInfoRequest)
    run = call.server.state.run(body.model_id, call.owner)
    call.session_id = run.session_id
    return ok(run_info(call, run))


def _custom_objective(call: Call, run: TrainingRunRecord, config: dict[str, float | str]) -> CustomLoss:
    """The uploaded loss named by ``loss_fn_config["loss_id"]`` (protocol §8.5: session-scoped)."""
    loss_id = config.get("loss_id")
    record = call.server.state.custom_losses.get(loss_id) if isinstance(loss_id, str) else None
    if record is None or record["owner"] != call.owner:
        raise UserInputError("loss_fn_config.loss_id", f"unknown custom loss {loss_id!r}")
    if record["session_id"] != run.session_id:
        raise UserInputError(
            "loss_fn_config.loss_id",
            f"custom loss {loss_id!r} belongs to session {record['session_id']!r}; "
            f"this model is in session {run.session_id!r}",
        )
    compiled = record.get("compiled")
    if not isinstance(compiled, CustomLoss):
        raise UserInputError("loss_fn_config.loss_id", f"custom loss {loss_id!r} failed to compile")
    return compiled


def _fwdbwd_compute(call: Call, run: TrainingRunRecord, decoded: FwdBwdCall) -> Compute:
    def compute() -> FutureResult:
        if decoded.problem is not None:
            raise decoded.problem
        if not decoded.datums:
            raise UserInputError("data", "No data provided")
        if decoded.spans is not None:
            session = call.server.state.sessions[run.session_id]
            check_provenance(decoded.datums, decoded.spans, session, decoded.loss_fn)
        objective: str | tiny.Objective = decoded.loss_fn
        if decoded.loss_fn == "custom":
            objective = _custom_objective(call, run, decoded.loss_fn_config)
        result = run.model.forward_backward(
            decoded.datums, objective, decoded.loss_fn_config, backward=not decoded.forward_only
        )
        json_body, proto_body = fwdbwd_result_bodies(result.outputs, result.metrics)
        return FutureResult(json_body, proto_body)

    return compute


def _submit_fwdbwd(call: Call, decoded: FwdBwdCall) -> Response:
    run = call.server.state.run(decoded.model_id, call.owner)
    record = submit_op(
        call,
        run,
        decoded.seq_id,
        _fwdbwd_compute(call, run, decoded),
        request_type="Forward" if decoded.forward_only else "ForwardBackward",
    )
    return future_answer(record)


@handles("forward_backward")
async def forward_backward(call: Call) -> Response:
    content_type = call.header("content-type") or ""
    if "application/json" in content_type:
        body = call.parse(ForwardBackwardRequestBody)
        return _submit_fwdbwd(
            call, decode_fwdbwd_json(body.model_id, body.seq_id, body.forward_backward_input, forward_only=False)
        )
    if "application/x-protobuf" not in content_type:
        raise ApiError(
            415,
            "unsupported-media-type",
            f"forward_backward takes application/x-protobuf (or JSON from SDK 0.15/0.22), got {content_type!r}",
        )
    return _submit_fwdbwd(call, decode_fwdbwd_proto(call.body))


@handles("forward")
async def forward(call: Call) -> Response:
    body = call.parse(ForwardRequestBody)
    return _submit_fwdbwd(call, decode_fwdbwd_json(body.model_id, body.seq_id, body.forward_input, forward_only=True))


def _hyperparameters(body: OptimStepRequest) -> tiny.AdamParams | tiny.DimuonParams:
    if body.adam_params is not None:
        return tiny.AdamParams(**body.adam_params.model_dump())
    params = body.optimizer_params
    if isinstance(params, DimuonParams):
        return tiny.DimuonParams(
            learning_rate=params.learning_rate, grad_clip_norm=params.grad_clip_norm, beta1=params.beta1
        )
    kind = getattr(params, "type", "?")
    raise ApiError.bad_request("unsupported-optimizer", f"optimizer_params type {kind!r} is not supported")


@handles("optim_step")
async def optim_step(call: Call) -> Response:
    body = call.parse(OptimStepRequest)
    run = call.server.state.run(body.model_id, call.owner)
    hp = _hyperparameters(body)
    if isinstance(body.adam_params, AdamParams):
        _check_adam(body.adam_params)

    def compute() -> FutureResult:
        metrics = run.model.optim_step(hp)
        return FutureResult(OptimStepResponse(metrics=metrics).to_wire())

    return future_answer(submit_op(call, run, body.seq_id, compute))


def _check_adam(params: AdamParams) -> None:
    problems = []
    if not params.learning_rate >= 0:
        problems.append(f"learning_rate must be >= 0, got {params.learning_rate}")
    for name in ("beta1", "beta2"):
        value = getattr(params, name)
        if not 0 <= value < 1:
            problems.append(f"{name} must be in [0, 1), got {value}")
    if not params.eps > 0:
        problems.append(f"eps must be > 0, got {params.eps}")
    if not params.weight_decay >= 0 or not params.grad_clip_norm >= 0:
        problems.append("weight_decay and grad_clip_norm must be >= 0")
    if problems:
        raise ApiError.bad_request("invalid-adam-params", "adam_params: " + "; ".join(problems))


@handles("unload_model")
async def unload_model(call: Call) -> Response:
    body = call.parse(UnloadModelRequest)
    run = call.server.state.run(body.model_id, call.owner)
    record = new_future(call, model_id=run.run_id)
    result = FutureResult(UnloadModelResponse(model_id=run.run_id, type="unload_model").to_wire())
    call.server.spawn(run_future(call.server, record, lambda: result))
    return future_answer(record)


@handles("create_custom_loss")
async def create_custom_loss(call: Call) -> Response:
    """Register an uploaded loss; its graph is compiled in the future, so refusals fail it (category user)."""
    body = call.parse(CreateCustomLossRequest)
    live_session(call, body.session_id)
    server = call.server
    loss_id = f"{body.session_id}:loss:{body.custom_loss_seq_id}"
    wire = body.to_wire()
    record = new_future(call)

    def compute() -> FutureResult:
        inputs = [(i.name, int(i.rank)) for i in body.inputs]
        compiled = CustomLoss(compile_custom_loss(body.name, inputs, wire["graph"]["nodes"]))
        server.state.custom_losses[loss_id] = {"owner": call.owner, **wire, "compiled": compiled}
        return FutureResult(CreateCustomLossResponse(loss_id=loss_id).to_wire())

    server.spawn(run_future(server, record, compute))
    return future_answer(record)
