"""Sampling endpoints: create/join a sampling session, ``asample``, ``samplers/{id}``
(protocol reference §5 rows 17-19, 25; §9).

``asample`` answers a future carrying one sequence id per requested sample (§0 item 7); the result
is a ``SampleResponse`` in protobuf or JSON as the poll's ``Accept`` asks. Completed samples are
also appended to the sampler's completion log for ``retrieve_futures``.
"""

from __future__ import annotations

from starlette.responses import Response

from tinker_harness.contracts._sampling import (
    CreateSamplingSessionRequest,
    CreateSamplingSessionResponse,
    GetSamplerResponse,
    JoinSamplingSessionRequest,
    JoinSamplingSessionResponse,
    SampleRequest,
)
from tinker_harness.mock_server.calls import Call, handles, ok
from tinker_harness.mock_server.chunks import json_input_tokens
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.futures import FutureRecord, FutureState
from tinker_harness.mock_server.model import LoraModel, TrainingState, UserInputError
from tinker_harness.mock_server.provenance import recording
from tinker_harness.mock_server.runs import live_session, resolve_checkpoint, supported_base_model
from tinker_harness.mock_server.samplers import (
    base_sampling_model,
    register_sampler,
    sample_compute,
)
from tinker_harness.mock_server.state import SamplerRecord
from tinker_harness.mock_server.work import Compute, future_answer, new_future, run_future

CLONE_BLOCK = 1_000_000_000  # shadow clients number their samples from clone_id * 1e9 (§9.2)
MAX_NUM_SAMPLES = 128


def _checkpoint_model(call: Call, model_path: str) -> tuple[str, LoraModel]:
    record = resolve_checkpoint(call, model_path, kinds=("weights", "sampler_weights"))
    state = TrainingState.from_bytes(record.state)
    return state.base_model, state.lora_model()


@handles("create_sampling_session")
async def create_sampling_session(call: Call) -> Response:
    body = call.parse(CreateSamplingSessionRequest)
    session = live_session(call, body.session_id)
    if body.model_path is not None:
        base_model, model = _checkpoint_model(call, body.model_path)
    elif body.base_model is not None:
        base_model = supported_base_model(call, body.base_model, for_training=False).model_name
        model = base_sampling_model(base_model, call.server.vocabulary(base_model).vocab_size)
    else:
        raise ApiError.bad_request("missing-model", "create_sampling_session needs model_path or base_model")
    sampler = register_sampler(
        call, session, body.sampling_session_seq_id, base_model=base_model, model_path=body.model_path, model=model
    )
    return ok(CreateSamplingSessionResponse(sampling_session_id=sampler.sampler_id))


@handles("join_sampling_session")
async def join_sampling_session(call: Call) -> Response:
    body = call.parse(JoinSamplingSessionRequest)
    sampler = call.server.state.sampler(body.sampling_session_id, call.owner)
    call.session_id = sampler.session_id
    sampler.joined_clients += 1
    return ok(JoinSamplingSessionResponse(client_counter=sampler.joined_clients))


@handles("get_sampler")
async def get_sampler(call: Call) -> Response:
    sampler = call.server.state.sampler(call.path_params["sampler_id"], call.owner)
    call.session_id = sampler.session_id
    return ok(
        GetSamplerResponse(sampler_id=sampler.sampler_id, base_model=sampler.base_model, model_path=sampler.model_path)
    )


def _sampling_model(call: Call, body: SampleRequest) -> tuple[str, LoraModel, SamplerRecord | None]:
    state = call.server.state
    if body.sampling_session_id is not None:
        sampler = state.sampler(body.sampling_session_id, call.owner)
        call.session_id = sampler.session_id
        model = sampler.model
        if sampler.live_run_id is not None:  # "inflight": the run's weights as they are now
            model = state.runs[sampler.live_run_id].model.sampling_model()
        return sampler.base_model, model, sampler
    if body.model_path is not None:
        base_model, model = _checkpoint_model(call, body.model_path)
        return base_model, model, None
    if body.base_model is not None:
        name = supported_base_model(call, body.base_model, for_training=False).model_name
        return name, base_sampling_model(name, call.server.vocabulary(name).vocab_size), None
    raise ApiError.bad_request("missing-model", "asample needs sampling_session_id, model_path or base_model")


@handles("asample")
async def asample(call: Call) -> Response:
    body = call.parse(SampleRequest)
    if not 1 <= body.num_samples <= MAX_NUM_SAMPLES:
        raise ApiError.bad_request(
            "invalid-num-samples", f"num_samples must be in [1, {MAX_NUM_SAMPLES}], got {body.num_samples}"
        )
    server = call.server
    base_model, model, sampler = _sampling_model(call, body)
    spec = server.config.supported_model(base_model)
    max_context = spec.max_context_length if spec is not None else 32768
    record = new_future(call)
    record.extra["seq_id"] = body.seq_id
    record.extra["base_model"] = base_model
    prompt = None
    try:  # for billing: prefill tokens of this request (a bad prompt fails the future later, with its reason)
        prompt = json_input_tokens(body.prompt, "prompt", training=False)
        record.extra["prompt_tokens"] = len(prompt)
    except UserInputError:
        pass
    seed = int(server.rng.integers(2**63))
    compute = sample_compute(call, base_model, model, body, max_context, seed)
    sequence_ids = [server.ids.uuid() for _ in range(body.num_samples)]
    session = server.state.sessions.get(call.session_id) if call.session_id is not None else None
    if body.record_stability_info and session is not None and prompt is not None:
        compute = recording(compute, session, sequence_ids, prompt)
    clone = (body.seq_id or 0) // CLONE_BLOCK
    server.spawn(_sample_then_log(call, record, compute, sampler, clone))
    if sampler is not None:
        sampler.samples += 1
    return future_answer(record, sample_sequence_ids=sequence_ids)


async def _sample_then_log(
    call: Call, record: FutureRecord, compute: Compute, sampler: SamplerRecord | None, clone: int
) -> None:
    await run_future(call.server, record, compute)
    if sampler is not None:
        result = record.result
        size = len(result.proto_body) if result is not None and result.proto_body is not None else None
        sampler.completions.add(record.request_id, clone, failed=record.state is not FutureState.COMPLETE, size=size)
