"""The ``contracts`` wire models against the official SDK, ``tinker==0.38.0`` (protocol reference §1, §19).

1. Structure: every model of ours whose name the SDK also uses as a pydantic model has the same
   wire field names, required-ness, defaults, ``Literal`` tags and extra-key policy, except for
   the short, documented ``ALLOWED_DIFFERENCES``.
2. Requests: bodies serialized exactly as the SDK's resources serialize them validate with our
   strict models, and ``to_wire()`` reproduces them byte for byte (as canonical JSON).
3. Responses: our ``to_wire()`` output passes the SDK's strict response validation and reads back
   unchanged.
4. Negative cases: unknown keys, wrong tags, missing required fields and bad ``tinker://`` paths.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Literal, get_args, get_origin

import pydantic
import pytest
import tinker._models as sdk_base
import tinker.types as T
from tinker._compat import model_dump as sdk_model_dump
from tinker.cli.auth_api import SelfApiKeyResponse
from tinker.lib import credentials as sdk_credentials
from tinker.lib.public_interfaces.rest_client import _SessionTraceExportPollResponse
from tinker.types._pydantic_types.datum import Datum as SdkDatum
from tinker.types._pydantic_types.forward_backward_input import (
    ForwardBackwardInput as SdkForwardBackwardInput,
)
from tinker.types._pydantic_types.tensor_data import TensorData as SdkTensorData
from tinker.types.generic_event import GenericEvent as SdkGenericEvent

import tinker_harness.contracts as C

# --------------------------------------------------------------------------------------------
# 1. Structural drift
# --------------------------------------------------------------------------------------------

# Documented, intentional differences: "<Model>:<aspect>" where aspect is "fields" (field sets
# differ; common fields are still compared), "extra" (extra-key policy) or a wire field name.
ALLOWED_DIFFERENCES: dict[str, str] = {
    # The SDK's Python field `optim_params` is renamed on the wire by a wrap serializer.
    "OptimStepRequest:fields": "we model the wire keys adam_params / optimizer_params (§5.1)",
    # SDK marks queue_state required, but dispatches on keys and tolerates its absence (§6.2).
    "TryAgainResponse:queue_state": "optional: the SDK reads it with .get() and maps absence to unknown",
    # queue_state_reason is read from the body by the poll loop but missing from the SDK model.
    "TryAgainResponse:fields": "adds queue_state_reason, which api_future_impl reads (§6.2)",
    # SDK 0.24.1+ requires process_uuid; 0.15-0.22 send telemetry without it, and must not get a 422.
    "TelemetrySendRequest:process_uuid": "optional: tinker 0.15-0.22 send no process_uuid (versions §1)",
    # SDK classes are response BaseModels (extra ignored) although they only occur in requests.
    "SamplingParams:extra": "request sub-model: unknown sampling keys are rejected, not ignored",
    "SessionStartEvent:extra": "telemetry events are request bodies here: unknown keys rejected",
    "SessionEndEvent:extra": "telemetry events are request bodies here: unknown keys rejected",
    "UnhandledExceptionEvent:extra": "telemetry events are request bodies here: unknown keys rejected",
    "GenericEvent:extra": "telemetry events are request bodies here: unknown keys rejected",
}

# SDK pydantic models we deliberately do not mirror.
NOT_MIRRORED: dict[str, str] = {
    "TelemetryBatch": "client-side queue object; the wire body is TelemetrySendRequest",
    "GetBillingUsageRequest": "query string, modelled by contracts._queries",
    "GetCurrentCheckpointStorageUsageRequest": "query string, modelled by contracts._queries",
}

# SDK-side dataclasses (not pydantic, never validated from JSON): skipped by design. Those with a
# pydantic twin in tinker.types._pydantic_types are compared against the twin instead.
SDK_DATACLASSES: dict[str, str] = {
    "TensorData": "compared against tinker.types._pydantic_types.tensor_data.TensorData",
    "Datum": "compared against tinker.types._pydantic_types.datum.Datum",
    "ForwardBackwardInput": "compared against _pydantic_types.forward_backward_input",
    "ForwardBackwardOutput": "protobuf result (§7.3); JSON form is JsonForwardBackwardOutput",
    "ForwardBackwardRequest": "protobuf request (§7); 0.22 JSON form is ForwardBackwardRequestBody",
    "ForwardRequest": "0.15/0.22 JSON form is ForwardRequestBody",
    "SampleResponse": "protobuf result (§7.2); JSON form is JsonSampleResponse",
    "SampledSequence": "protobuf result (§7.2); JSON form is JsonSampledSequence",
    "PromptAltTokens": "protobuf-only part of SampleResponse",
    "PromptProvenanceSpan": "protobuf-only part of ForwardBackwardRequest",
    "SampledProvenanceSpan": "protobuf-only part of ForwardBackwardRequest",
    "TopkLogprobs": "protobuf-only part of SampleResponse",
}

# Our models whose SDK counterpart lives outside tinker.types or under another name.
SDK_COUNTERPARTS: dict[str, type[pydantic.BaseModel]] = {
    "ApiKeyInfoResponse": SelfApiKeyResponse,
    "ApiKeyDetails": sdk_credentials.ApiKeyDetails,
    "ApiKeyOrgDetails": sdk_credentials.ApiKeyOrgDetails,
    "ApiKeyUserDetails": sdk_credentials.ApiKeyUserDetails,
    "TraceExportResponse": _SessionTraceExportPollResponse,
}

_SDK_BASES = {pydantic.BaseModel, sdk_base.BaseModel, sdk_base.StrictBase, sdk_base.GenericModel}


def _sdk_classes() -> tuple[dict[str, type[pydantic.BaseModel]], set[str]]:
    """Every pydantic model and every dataclass name defined under ``tinker.types``."""
    models: dict[str, type[pydantic.BaseModel]] = {}
    dataclass_names: set[str] = set()
    for info in pkgutil.walk_packages(T.__path__, "tinker.types."):
        for obj in vars(importlib.import_module(info.name)).values():
            if not inspect.isclass(obj) or not obj.__module__.startswith("tinker"):
                continue
            if issubclass(obj, pydantic.BaseModel) and obj not in _SDK_BASES:
                other = models.setdefault(obj.__name__, obj)
                assert other is obj, f"two SDK pydantic models named {obj.__name__}"
            elif dataclasses.is_dataclass(obj):
                dataclass_names.add(obj.__name__)
    return models, dataclass_names


SDK_MODELS, SDK_DATACLASS_NAMES = _sdk_classes()
_OUR_BASES = {C.WireModel, C.RequestModel, C.ResponseModel}
OUR_MODELS: dict[str, type[pydantic.BaseModel]] = {
    name: obj
    for name in C.__all__
    if inspect.isclass(obj := getattr(C, name)) and issubclass(obj, pydantic.BaseModel) and obj not in _OUR_BASES
}
PAIRS: dict[str, type[pydantic.BaseModel]] = {
    name: SDK_COUNTERPARTS.get(name) or SDK_MODELS[name]
    for name in OUR_MODELS
    if name in SDK_COUNTERPARTS or name in SDK_MODELS
}


def _wire_fields(model: type[pydantic.BaseModel]) -> dict[str, pydantic.fields.FieldInfo]:
    return {(f.serialization_alias or f.alias or name): f for name, f in model.model_fields.items()}


def _literals(annotation: Any) -> frozenset[Any]:
    """``Literal``/enum values in an annotation, not descending into nested models."""
    found: set[Any] = set()

    def walk(tp: Any) -> None:
        if get_origin(tp) is Literal:
            found.update(get_args(tp))
        elif inspect.isclass(tp) and issubclass(tp, enum.Enum):
            found.update(member.value for member in tp)
        elif not (inspect.isclass(tp) and issubclass(tp, pydantic.BaseModel)):
            for arg in get_args(tp):
                walk(arg)

    walk(annotation)
    return frozenset(found)


def _default(field: pydantic.fields.FieldInfo) -> Any:
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    return value.model_dump(mode="json") if isinstance(value, pydantic.BaseModel) else value


def _differences(name: str) -> Iterator[tuple[str, str]]:
    """(allow-list key, message) for every structural difference of one model pair."""
    ours, sdk = OUR_MODELS[name], PAIRS[name]
    our_fields, sdk_fields = _wire_fields(ours), _wire_fields(sdk)
    if set(our_fields) != set(sdk_fields):
        yield (
            f"{name}:fields",
            f"only ours {sorted(set(our_fields) - set(sdk_fields))}, "
            f"only SDK {sorted(set(sdk_fields) - set(our_fields))}",
        )
    our_extra, sdk_extra = (m.model_config.get("extra") or "ignore" for m in (ours, sdk))  # pydantic default
    if our_extra != sdk_extra:
        yield f"{name}:extra", f"extra={our_extra!r} vs SDK {sdk_extra!r}"
    for key in sorted(set(our_fields) & set(sdk_fields)):
        mine, theirs = our_fields[key], sdk_fields[key]
        if mine.is_required() != theirs.is_required():
            yield f"{name}:{key}", f"{key}: required {mine.is_required()} vs SDK {theirs.is_required()}"
        elif not mine.is_required() and _default(mine) != _default(theirs):
            yield f"{name}:{key}", f"{key}: default {_default(mine)!r} vs SDK {_default(theirs)!r}"
        if _literals(mine.annotation) != _literals(theirs.annotation):
            yield (
                f"{name}:{key}",
                f"{key}: literals {sorted(map(str, _literals(mine.annotation)))} "
                f"vs SDK {sorted(map(str, _literals(theirs.annotation)))}",
            )


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_model_matches_sdk(name: str) -> None:
    unexpected = [message for key, message in _differences(name) if key not in ALLOWED_DIFFERENCES]
    assert not unexpected, f"{name} drifted from the SDK: {unexpected}"


def test_allow_list_entries_are_all_still_needed() -> None:
    seen = {key for name in PAIRS for key, _ in _differences(name)}
    stale = sorted(set(ALLOWED_DIFFERENCES) - seen)
    assert not stale, f"allow-listed differences that no longer exist: {stale}"


def test_every_sdk_model_is_mirrored_or_listed() -> None:
    missing = sorted(set(SDK_MODELS) - set(OUR_MODELS) - set(NOT_MIRRORED))
    assert not missing, f"SDK pydantic models without a contracts model: {missing}"
    assert set(NOT_MIRRORED) <= set(SDK_MODELS), "NOT_MIRRORED names a model the SDK no longer has"


def test_sdk_dataclasses_are_skipped_by_design() -> None:
    unlisted = sorted(SDK_DATACLASS_NAMES - set(SDK_DATACLASSES))
    assert not unlisted, f"new SDK dataclasses to review: {unlisted}"
    assert set(SDK_DATACLASSES) <= SDK_DATACLASS_NAMES, "SDK_DATACLASSES names a dataclass that is gone"
    for name in ("TensorData", "Datum", "ForwardBackwardInput"):
        assert PAIRS[name].__module__.startswith("tinker.types._pydantic_types"), name


def test_pairing_finds_the_bulk_of_the_models() -> None:
    # Guards the name matching itself: a broken scan would silently compare nothing.
    assert len(PAIRS) >= 100, sorted(PAIRS)
    for name in ("OptimStepRequest", "SampleRequest", "TensorData", "SessionSummary", "WeightsInfoResponse"):
        assert name in PAIRS


# --------------------------------------------------------------------------------------------
# 2. Requests: SDK-serialized bodies round-trip through our strict models
# --------------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 22, 15, 28, 28, 634793, tzinfo=UTC)
MODEL_ID = "sess-abc:train:0"


def _sdk_wire(request: pydantic.BaseModel) -> dict[str, Any]:
    """The body tinker/resources/*.py post (``exclude_unset=False, exclude_none=True, mode="json"``)."""
    return sdk_model_dump(request, exclude_unset=False, exclude_none=True, mode="json")


def _canon(body: Any) -> str:
    return json.dumps(body, sort_keys=True)


def _events() -> list[Any]:
    envelope: dict[str, Any] = {"event_id": "6f1c", "severity": "INFO", "timestamp": NOW}
    return [
        T.SessionStartEvent(event="SESSION_START", event_session_index=0, **envelope),
        SdkGenericEvent(
            event="GENERIC_EVENT",
            event_name="APIFuture.result_async.api_status_error",
            event_data={"status_code": 503, "body": {"detail": None}, "nested": [1, 2.5]},
            event_session_index=1,
            **envelope,
        ),
        T.UnhandledExceptionEvent(
            event="UNHANDLED_EXCEPTION",
            error_type="ValueError",
            error_message="boom",
            traceback="Traceback ...",
            event_session_index=2,
            **envelope,
        ),
        T.SessionEndEvent(event="SESSION_END", duration="0:01:02.345678", event_session_index=3, **envelope),
    ]


def _prompt() -> T.ModelInput:
    return T.ModelInput(
        chunks=[
            T.EncodedTextChunk(tokens=[1, 2, 3]),
            T.ImageChunk(data=b"\x89PNG\r\n\x1a\n\x00\xff", format="png", expected_tokens=4),
            T.ImageAssetPointerChunk(format="jpeg", location="gs://bucket/cat.jpg", expected_tokens=8),
            T.DmelChunk(dmel=b"\x00\x01\x02\x03"),
        ]
    )


def _custom_loss() -> T.CreateCustomLossRequest:
    nodes = [
        T.CustomLossNode(op="placeholder", name="logprobs", target="logprobs"),
        T.CustomLossNode(op="placeholder", name="weights", target="weights"),
        T.CustomLossNode(op="call_function", name="mul", target="operator.mul", args=[{"ref": "logprobs"}, 2.0]),
        T.CustomLossNode(op="call_method", name="sum", target="sum", kwargs={"dim": -1}),
        T.CustomLossNode(op="output", name="output", target="output", args=[{"ref": "sum"}]),
    ]
    return T.CreateCustomLossRequest(
        session_id="sess-abc",
        custom_loss_seq_id=0,
        name="my_loss",
        inputs=[T.CustomLossInput(name="logprobs", rank=1), T.CustomLossInput(name="weights", rank=1)],
        graph=T.CustomLossGraph(nodes=nodes),
    )


def _fwdbwd_input() -> SdkForwardBackwardInput:
    datum = SdkDatum(
        model_input=T.ModelInput(chunks=[T.EncodedTextChunk(tokens=[1, 2, 3])]),
        loss_fn_inputs={
            "target_tokens": SdkTensorData(data=[2, 3, 4], dtype="int64", shape=[3]),
            "weights": SdkTensorData(data=[1.0, 0.5, 1.0], dtype="float32", shape=[3]),
        },
    )
    return SdkForwardBackwardInput(data=[datum], loss_fn="ppo", loss_fn_config={"clip_low": 0.8, "mode": "x"})


def _request_cases() -> dict[str, tuple[type[C.RequestModel], dict[str, Any]]]:
    sparse = SdkTensorData(
        data=[5, 9], dtype="int64", shape=[2, 3], sparse_crow_indices=[0, 1, 2], sparse_col_indices=[0, 2]
    )
    sdk = {
        "client_config": T.ClientConfigRequest(sdk_version="0.38.0"),
        "create_session": T.CreateSessionRequest(
            tags=["a", "b"], user_metadata={"k": "v"}, sdk_version="0.38.0", display_name="cap"
        ),
        "create_session_project": T.CreateSessionRequest(
            tags=[], user_metadata={}, sdk_version="0.38.0", project_id="proj-1"
        ),
        "heartbeat": T.SessionHeartbeatRequest(session_id="sess-abc"),
        "create_model_lora": T.CreateModelRequest(
            session_id="sess-abc",
            model_seq_id=0,
            base_model="Qwen/Qwen3-8B",
            lora_config=T.LoraConfig(rank=8),
        ),
        "create_model_dimuon": T.CreateModelRequest(
            session_id="sess-abc",
            model_seq_id=1,
            base_model="Qwen/Qwen3-8B",
            user_metadata={"run": {"n": 1}},
            lora_config=T.LoraConfig(rank=32, seed=7, train_unembed=False),
            optimizer_config=T.DimuonOptimizerConfig(),
        ),
        "get_info": T.GetInfoRequest(model_id=MODEL_ID),
        # `adam_params` is a validation alias of the SDK's `optim_params` field, as TrainingClient uses it.
        "optim_step_adam": T.OptimStepRequest(  # type: ignore[call-arg]
            model_id=MODEL_ID, seq_id=2, adam_params=T.AdamParams(learning_rate=3e-4, weight_decay=0.01)
        ),
        "optim_step_dimuon": T.OptimStepRequest(
            model_id=MODEL_ID, seq_id=3, optim_params=T.DimuonParams(learning_rate=0.02, beta1=0.95)
        ),
        "save_weights": T.SaveWeightsRequest(
            model_id=MODEL_ID,
            path="step1",
            seq_id=3,
            ttl_seconds=3600,
            overwrite=True,
            user_metadata={"a": "b"},
        ),
        "save_for_sampler_named": T.SaveWeightsForSamplerRequest(model_id=MODEL_ID, path="s1", seq_id=4),
        "save_for_sampler_ephemeral": T.SaveWeightsForSamplerRequest(
            model_id=MODEL_ID, sampling_session_seq_id=0, kind="inflight", seq_id=5
        ),
        "save_external": T.SaveWeightsExternalRequest(
            model_id=MODEL_ID,
            path="download",
            seq_id=6,
            ttl_seconds=3600,
            age_encryption_recipients=["age1xyz"],
        ),
        "load_legacy": T.LoadWeightsRequest(
            model_id=MODEL_ID, seq_id=1, path="tinker://run-1/weights/step1", optimizer=True
        ),
        "load_create_via_load": T.LoadWeightsRequest(
            session_id="sess-abc",
            model_seq_id=1,
            base_model="Qwen/Qwen3-8B",
            user_metadata={"created_by": "tinker checkpoint download"},
            path="tinker://run-1/weights/step1",
            optimizer=False,
            optimizer_config=T.AdamOptimizerConfig(),
            weights_access_token="tok",
        ),
        "unload": T.UnloadModelRequest(model_id=MODEL_ID),
        "create_sampling_session": T.CreateSamplingSessionRequest(
            session_id="sess-abc", sampling_session_seq_id=1, base_model="Qwen/Qwen3-8B"
        ),
        "create_sampling_session_path": T.CreateSamplingSessionRequest(
            session_id="sess-abc", sampling_session_seq_id=2, model_path="tinker://run-1/sampler_weights/s1"
        ),
        "join_sampling_session": T.JoinSamplingSessionRequest(sampling_session_id="sess-abc:sample:0"),
        "sample_minimal": T.SampleRequest(prompt=T.ModelInput.from_ints([1, 2, 3]), sampling_params=T.SamplingParams()),
        "sample_all_options": T.SampleRequest(
            num_samples=2,
            prompt=_prompt(),
            sampling_params=T.SamplingParams(max_tokens=3, seed=42, stop=["\n"], temperature=0.7, top_k=20, top_p=0.9),
            base_model="Qwen/Qwen3-8B",
            model_path="tinker://run-1/sampler_weights/s1",
            sampling_session_id="sess-abc:sample:0",
            seq_id=1_000_000_001,
            prompt_logprobs=True,
            topk_prompt_logprobs=5,
            topk_sample_logprobs=3,
            target_prompt_logprobs=sparse,
            prompt_alt_tokens_k=2,
            prompt_logprobs_last_n=2,
            record_stability_info=True,
        ),
        "sample_stop_tokens": T.SampleRequest(
            prompt=T.ModelInput.from_ints([1]), sampling_params=T.SamplingParams(stop=[13, 7])
        ),
        "sample_stop_string": T.SampleRequest(
            prompt=T.ModelInput.from_ints([1]), sampling_params=T.SamplingParams(stop="###")
        ),
        "retrieve_future": T.FutureRetrieveRequest(request_id="req-1", allow_metadata_only=True),
        "retrieve_futures_ack": T.FuturesRetrieveRequest(
            target=T.SamplingSessionFuturesTarget(sampling_session_id="sess-abc:sample:0", cloned_sampler_id=3),
            prev_cursor=7,
            timeout=0,
            retrieved_request_ids=["req-1", "req-2"],
        ),
        "retrieve_futures_long_poll": T.FuturesRetrieveRequest(
            target=T.SamplingSessionFuturesTarget(sampling_session_id="sess-abc:sample:0")
        ),
        "create_custom_loss": _custom_loss(),
        "telemetry": T.TelemetrySendRequest(
            events=_events(),
            platform="Linux",
            sdk_version="0.38.0",
            session_id="sess-abc",
            process_uuid="9b2e",
        ),
        "session_search_default": T.SessionSearchRequest(),
        "session_search_full": T.SessionSearchRequest(
            session_id="sess-abc",
            project_ids=["p1"],
            user_metadata={"team": "rl"},
            display_name="nightly run",
            owner=T.UserSearchOwner(owner_urns=["tml:user:1"]),
            statuses=[
                T.ActiveSessionStatusQuery(),
                T.CancelledSessionStatusQuery(),
                T.FailedSessionStatusQuery(),
                T.ClientFinishedSessionStatusQuery(reasons=["success", "interrupted"]),
            ],
            limit=200,
            cursor=T.SessionSearchCursor(last_created_at=NOW, last_session_id="sess-abc"),
        ),
        "session_search_accessible": T.SessionSearchRequest(owner=T.AccessibleSearchOwner()),
        "copy_weights": T.CopyWeightsRequest(
            source_path="tinker://run-1/weights/step1", destination_project_id="proj-2", ttl_seconds=7200
        ),
    }
    cases: dict[str, tuple[type[C.RequestModel], dict[str, Any]]] = {
        key: (getattr(C, type(obj).__name__), _sdk_wire(obj)) for key, obj in sdk.items()
    }
    # Bodies the SDK writes as literal dicts (service_client.py, rest_client.py, internal_client_holder.py).
    for status in ("success", "errored", "interrupted"):
        cases[f"finish_{status}"] = (C.SessionFinishRequest, {"reason": {"type": status}, "detail": None})
    cases["finish_detail"] = (C.SessionFinishRequest, {"reason": {"type": "errored"}, "detail": "ValueError"})
    cases["ttl_set"] = (C.SetCheckpointTtlRequest, {"ttl_seconds": 3600})
    cases["ttl_remove"] = (C.SetCheckpointTtlRequest, {"ttl_seconds": None})
    cases["weights_info"] = (C.WeightsInfoRequest, {"tinker_path": "tinker://run-1/weights/step1"})
    cases["assign_project"] = (C.AssignSessionProjectRequest, {"project_id": "proj-1"})
    cases["cancel_future"] = (C.CancelFutureRequest, {"request_id": "req-9"})
    cases["auth_token"] = (C.AuthTokenRequest, {})
    # SDK 0.22 JSON training bodies (versions doc §3), from the SDK's own pydantic twins.
    fbi = _sdk_wire(_fwdbwd_input())
    cases["forward_json"] = (C.ForwardRequestBody, {"forward_input": fbi, "model_id": MODEL_ID, "seq_id": 1})
    cases["forward_backward_json"] = (
        C.ForwardBackwardRequestBody,
        {"forward_backward_input": fbi, "model_id": MODEL_ID, "seq_id": 2},
    )
    return cases


REQUEST_CASES = _request_cases()


@pytest.mark.parametrize("case", sorted(REQUEST_CASES))
def test_sdk_request_body_round_trips(case: str) -> None:
    model, body = REQUEST_CASES[case]
    parsed = model.from_wire(json.loads(json.dumps(body)))
    assert _canon(parsed.to_wire()) == _canon(body)


def test_optim_step_wire_shape_is_what_the_sdk_sends() -> None:
    adam = REQUEST_CASES["optim_step_adam"][1]
    dimuon = REQUEST_CASES["optim_step_dimuon"][1]
    assert "optim_params" not in adam and adam["adam_params"]["learning_rate"] == 3e-4
    assert dimuon["optimizer_params"] == {
        "type": "dimuon",
        "learning_rate": 0.02,
        "grad_clip_norm": 0.0,
        "beta1": 0.95,
    }
    parsed = C.OptimStepRequest.from_wire(dimuon)
    assert isinstance(parsed.optimizer_params, C.DimuonParams) and parsed.adam_params is None


def test_binary_chunks_decode_to_the_sdk_bytes() -> None:
    request = C.SampleRequest.from_wire(REQUEST_CASES["sample_all_options"][1])
    image, dmel = request.prompt.chunks[1], request.prompt.chunks[3]
    assert isinstance(image, C.ImageChunk) and image.data == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert isinstance(dmel, C.DmelChunk) and dmel.dmel == b"\x00\x01\x02\x03"
    assert T.ImageChunk.model_validate(image.to_wire()).data == image.data


def test_sdk_0_15_bodies_without_type_tags_validate() -> None:
    # Observed 0.15.0 forward_backward body (versions doc §3): no "type" on chunks or request.
    body = {
        "forward_backward_input": {
            "data": [
                {
                    "loss_fn_inputs": {
                        "target_tokens": {"data": [2, 3, 4], "dtype": "int64", "shape": [3]},
                        "weights": {"data": [1.0, 1.0, 1.0], "dtype": "float32", "shape": [3]},
                    },
                    "model_input": {"chunks": [{"tokens": [1, 2, 3]}, {"location": "x", "format": "png"}]},
                }
            ],
            "loss_fn": "cross_entropy",
        },
        "model_id": MODEL_ID,
        "seq_id": 1,
    }
    parsed = C.ForwardBackwardRequestBody.from_wire(body)
    chunks = parsed.forward_backward_input.data[0].model_input.chunks
    assert [type(c) for c in chunks] == [C.EncodedTextChunk, C.ImageAssetPointerChunk]
    assert C.OptimStepRequest.from_wire({"adam_params": {}, "model_id": MODEL_ID, "seq_id": 3}).type == "optim_step"
    heartbeat = C.SessionHeartbeatRequest.from_wire({"session_id": "s"})
    assert heartbeat.to_wire() == {"session_id": "s", "type": "session_heartbeat"}


# --------------------------------------------------------------------------------------------
# 3. Responses: our to_wire() passes the SDK's strict response validation
# --------------------------------------------------------------------------------------------


def _checkpoint(kind: Literal["training", "sampler", "external"], segment: str) -> C.Checkpoint:
    return C.Checkpoint(
        checkpoint_id=f"{segment}/step1",
        checkpoint_type=kind,
        time=NOW,
        tinker_path=f"tinker://{MODEL_ID}/{segment}/step1",
        size_bytes=123_456,
        public=kind == "sampler",
        user_metadata={"k": "v"},
        expires_at=NOW,
    )


def _summary(status: Any) -> C.SessionSummary:
    return C.SessionSummary(
        session_id="sess-abc",
        created_at=NOW,
        owner="tml:user:1",
        project_id="proj-1",
        status=status,
        checkpoints_count=2,
        display_name="cap",
        user_metadata={"team": "rl"},
        checkpoint_storage_bytes=10,
    )


def _billing_event(info: Any) -> C.BillingUsageEvent:
    return C.BillingUsageEvent(
        bucket_start=NOW, bucket_end=NOW, base_model="Qwen/Qwen3-8B", session_id="sess-abc", event_info=info
    )


RESPONSE_CASES: dict[str, C.ResponseModel] = {
    "client_config_default": C.ClientConfigResponse(),
    "client_config_flags": C.ClientConfigResponse(use_pyqwest_transport=False, sample_use_retrieve_futures=True),
    "dynamic_config": C.ClientDynamicConfigResponse(sample_cancel_enabled=True, refresh_interval_sec=10),
    "create_session": C.CreateSessionResponse(session_id="sess-abc", warning_message="careful"),
    "heartbeat": C.SessionHeartbeatResponse(),
    "auth_token": C.AuthTokenResponse(jwt="eyJhbGciOiJub25lIn0.eyJleHAiOjF9.sig"),
    "health": C.HealthResponse(status="ok"),
    "capabilities": C.GetServerCapabilitiesResponse(
        supported_models=[
            C.SupportedModel(model_name="Qwen/Qwen3-8B", max_context_length=32768, trainable=True, sampleable=True),
            C.SupportedModel(),
        ]
    ),
    "future": C.UntypedAPIFuture(request_id="req-1", model_id=MODEL_ID),
    "sample_future": C.UntypedAPIFuture(request_id="req-2", sample_sequence_ids=["seq-0", "seq-1"]),
    "create_model": C.CreateModelResponse(model_id=MODEL_ID),
    "get_info": C.GetInfoResponse(
        type="get_info",
        model_data=C.ModelData(arch="qwen3", model_name="Qwen/Qwen3-8B", tokenizer_id="Qwen/Qwen3-8B"),
        model_id=MODEL_ID,
        optimizer_config=C.DimuonOptimizerConfig(),
        is_lora=True,
        lora_rank=8,
        model_name="Qwen/Qwen3-8B",
    ),
    "optim_step": C.OptimStepResponse(metrics={"grad_norm:mean": 0.5}),
    "save_weights": C.SaveWeightsResponse(path=f"tinker://{MODEL_ID}/weights/step1", type="save_weights"),
    "save_sampler_named": C.SaveWeightsForSamplerResponseInternal(path=f"tinker://{MODEL_ID}/sampler_weights/s1"),
    "save_sampler_ephemeral": C.SaveWeightsForSamplerResponseInternal(sampling_session_id="sess-abc:sample:0"),
    "save_sampler_public": C.SaveWeightsForSamplerResponse(path=f"tinker://{MODEL_ID}/sampler_weights/s1"),
    "save_external": C.SaveWeightsExternalResponseInternal(
        path=f"tinker://{MODEL_ID}/external_weights/d", size_bytes=99, type="save_weights_external"
    ),
    "save_external_public": C.SaveWeightsExternalResponse(path=f"tinker://{MODEL_ID}/external_weights/d"),
    "load_weights": C.LoadWeightsResponse(path="tinker://run-1/weights/step1", model_id=MODEL_ID, type="load_weights"),
    "unload": C.UnloadModelResponse(model_id=MODEL_ID, type="unload_model"),
    "custom_loss": C.CreateCustomLossResponse(loss_id="loss-1"),
    "try_again": C.TryAgainResponse(request_id="req-1", queue_state="paused_capacity", queue_state_reason="busy"),
    "request_failed": C.RequestFailedResponse(error="learning rate too high", category="user"),
    "futures": C.FuturesRetrieveResponse(
        completions=[
            C.FutureFinished(request_id="req-1", response_payload_uncompressed_size=1024),
            C.FutureFailed(request_id="req-2"),
        ],
        cursor=9,
    ),
    "create_sampling_session": C.CreateSamplingSessionResponse(sampling_session_id="sess-abc:sample:1"),
    "join_sampling_session": C.JoinSamplingSessionResponse(client_counter=3),
    "get_sampler": C.GetSamplerResponse(
        sampler_id="sess-abc:sample:1",
        base_model="Qwen/Qwen3-8B",
        model_path="tinker://run-1/sampler_weights/s1",
    ),
    "checkpoints": C.CheckpointsListResponse(
        checkpoints=[_checkpoint("training", "weights"), _checkpoint("sampler", "sampler_weights")],
        cursor=C.Cursor(offset=0, limit=100, total_count=2),
    ),
    "training_run": C.TrainingRun(
        training_run_id=MODEL_ID,
        base_model="Qwen/Qwen3-8B",
        model_owner="tml:user:1",
        is_lora=True,
        lora_rank=8,
        last_request_time=NOW,
        last_checkpoint=_checkpoint("training", "weights"),
        last_sampler_checkpoint=_checkpoint("sampler", "sampler_weights"),
        user_metadata={"k": "v"},
    ),
    "training_runs": C.TrainingRunsResponse(training_runs=[], cursor=C.Cursor(offset=20, limit=20, total_count=20)),
    "weights_info": C.WeightsInfoResponse(
        base_model="Qwen/Qwen3-8B",
        is_lora=True,
        lora_rank=8,
        train_unembed=True,
        train_mlp=True,
        train_attn=False,
    ),
    "copy_weights": C.CopyWeightsResponse(tinker_path="tinker://run-2/weights/step1"),
    "external_urls": C.ExternalWeightsUrlsResponse(urls={"model.safetensors": "http://mock/files/a"}, expires=NOW),
    "parsed_path": C.parse_tinker_path("tinker://run-1:train:0/external_weights/x"),
    "list_sessions": C.ListSessionsResponse(sessions=["sess-abc", "sess-def"]),
    "get_session": C.GetSessionResponse(
        training_run_ids=[MODEL_ID], sampler_ids=["sess-abc:sample:0"], display_name="cap"
    ),
    "trace_ready": C.TraceExportResponse(status="ready", url="http://mock/trace.pftrace"),
    "trace_failed": C.TraceExportResponse(status="failed", error="no events"),
    "session_search": C.SessionSearchResponse(
        sessions=[
            _summary(C.SessionActive()),
            _summary(C.SessionCancelled(detail="by admin")),
            _summary(C.ClientSessionFinished(reason=C.ClientSessionFinishInterrupted(), detail="^C")),
            _summary(C.ClientSessionFinished(reason=C.ClientSessionFinishSuccess())),
            _summary(C.ClientSessionFinished(reason=C.ClientSessionFinishErrored())),
            _summary(
                C.SessionFailed(
                    category="user",
                    reason=C.SessionFailedRequestReason(request_id="r", request_type="Sample"),
                    message="bad",
                )
            ),
            _summary(
                C.SessionFailed(
                    category="internal",
                    reason=C.SessionFailedTrainingRunReason(training_run_id=MODEL_ID),
                    message="oom",
                )
            ),
            _summary(
                C.SessionFailed(
                    category="internal",
                    reason=C.SessionFailedSamplingSessionReason(sampling_session_id="sess-abc:sample:0"),
                    message="x",
                )
            ),
            _summary(None),
        ],
        next_cursor=C.SessionSearchCursor(last_created_at=NOW, last_session_id="sess-abc"),
    ),
    "telemetry": C.TelemetryResponse(status="accepted"),
    "audit": C.AuditLogResponse(
        entries=[
            C.AuditLogEntry(
                timestamp=NOW,
                event="checkpoint_read",
                event_details={"actor": "tml:user:1", "n": 2},
                model_id=MODEL_ID,
                tinker_path="tinker://run-1/weights/step1",
                purpose="download",
            )
        ]
    ),
    "billing": C.BillingUsageResponse(
        data=[
            _billing_event(C.TrainingBillingEvent(token_count=1000)),
            _billing_event(C.SamplingPrefillBillingEvent(cached=True, token_count=10)),
            _billing_event(C.SamplingSampleBillingEvent(token_count=5)),
            _billing_event(C.CheckpointBillingEvent(count=2)),
            _billing_event(C.StorageBillingEvent(free=True, gigabyte_hours=1.5)),
        ],
        sessions={"sess-abc": C.BillingUsageSession(user_metadata={"k": "v"})},
        cost_data_through=NOW,
    ),
    "storage": C.CurrentCheckpointStorageUsageResponse(
        effective_rate_usd_per_gigabyte_month=0.1,
        data=[C.CurrentCheckpointStorageUsageItem(checkpoint_count=3, size_bytes=10**9, size_gigabytes=1.0)],
    ),
    "whoami": C.WhoamiResponse(user_urn="tml:user:1", org_urn="tml:organization:o", email="a@b.c"),
    "api_key_me": C.ApiKeyInfoResponse(
        key_id=42,
        name="laptop",
        note="",
        details=C.ApiKeyDetails(
            org_details=C.ApiKeyOrgDetails(name="Org"), user_details=C.ApiKeyUserDetails(email="a@b.c")
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(RESPONSE_CASES))
def test_response_passes_sdk_strict_validation(case: str) -> None:
    ours = RESPONSE_CASES[case]
    wire = json.loads(json.dumps(ours.to_wire()))
    sdk_type = PAIRS[type(ours).__name__]
    parsed = sdk_base.validate_type(type_=sdk_type, value=wire)
    known_to_sdk = {key: value for key, value in wire.items() if key in _wire_fields(sdk_type)}
    assert _canon(sdk_model_dump(parsed, exclude_none=True, mode="json")) == _canon(known_to_sdk)
    assert _canon(type(ours).from_wire(wire).to_wire()) == _canon(wire)


def test_json_results_of_old_sdks_read_back() -> None:
    # versions doc §4.1: the JSON forms 0.15.0 and 0.22.0 decode.
    sample = {
        "type": "sample",
        "sequences": [{"stop_reason": "length", "tokens": [7, 8, 9], "logprobs": [-0.1, -0.2, -0.3]}],
        "prompt_logprobs": [None, -1.0, -1.0],
        "topk_prompt_logprobs": [None, [[5, -0.5], [6, -1.5]], [[1, -0.1]]],
    }
    assert _canon(C.JsonSampleResponse.from_wire(sample).to_wire()) == _canon(sample)
    assert C.JsonSampleResponse.from_wire({"sequences": []}).to_wire() == {"type": "sample", "sequences": []}
    fbo = {
        "loss_fn_output_type": "ArrayRecord",
        "loss_fn_outputs": [{"logprobs": {"data": [-0.5, -0.5], "dtype": "float32", "shape": [2]}}],
        "metrics": {"loss:sum": 1.0},
    }
    assert _canon(C.JsonForwardBackwardOutput.from_wire(fbo).to_wire()) == _canon(fbo)
    assert C.CompleteMetadataResponse.from_wire({"status": "complete_metadata", "response_payload_size": 7})
    for bad in ({"sequences": [], "type": "nope"}, {"sequences": [{"stop_reason": "eos", "tokens": []}]}):
        with pytest.raises(pydantic.ValidationError):
            C.JsonSampleResponse.from_wire(bad)


# --------------------------------------------------------------------------------------------
# 4. Negative cases
# --------------------------------------------------------------------------------------------


def _rejects(model: type[C.WireModel], body: Any) -> bool:
    try:
        model.from_wire(body)
    except pydantic.ValidationError:
        return True
    return False


@pytest.mark.parametrize("case", sorted(REQUEST_CASES))
def test_request_rejects_unknown_key(case: str) -> None:
    model, body = REQUEST_CASES[case]
    assert _rejects(model, {**body, "bogus_key": 1})


@pytest.mark.parametrize("case", sorted(key for key, (_, body) in REQUEST_CASES.items() if "type" in body))
def test_request_rejects_wrong_type_tag(case: str) -> None:
    model, body = REQUEST_CASES[case]
    assert _rejects(model, {**body, "type": "bogus"})
    without_tag = {k: v for k, v in body.items() if k != "type"}
    assert model.from_wire(without_tag).to_wire() == model.from_wire(body).to_wire()


@pytest.mark.parametrize("case", sorted(REQUEST_CASES))
def test_request_rejects_missing_required_field(case: str) -> None:
    model, body = REQUEST_CASES[case]
    required = [key for key, field in _wire_fields(model).items() if field.is_required()]
    assert all(key in body for key in required), "the SDK body lacks a field we call required"
    for key in required:
        assert _rejects(model, {k: v for k, v in body.items() if k != key}), f"accepted without {key!r}"


NESTED_BAD_BODIES: dict[str, tuple[type[C.WireModel], Callable[[dict[str, Any]], Any]]] = {
    "chunk_tag": (
        C.SampleRequest,
        lambda b: {**b, "prompt": {"chunks": [{"tokens": [1], "type": "encoded_txt"}]}},
    ),
    "chunk_unknown_key": (
        C.SampleRequest,
        lambda b: {**b, "prompt": {"chunks": [{"tokens": [1], "type": "encoded_text", "x": 1}]}},
    ),
    "sampling_param_unknown": (C.SampleRequest, lambda b: {**b, "sampling_params": {"min_p": 0.1}}),
    "dtype": (
        C.SampleRequest,
        lambda b: {**b, "target_prompt_logprobs": {"data": [1], "dtype": "int32"}},
    ),
    "owner_tag": (C.SessionSearchRequest, lambda b: {**b, "owner": {"type": "everyone"}}),
    "status_tag": (C.SessionSearchRequest, lambda b: {**b, "statuses": [{"type": "zombie"}]}),
    "owner_urns_empty": (
        C.SessionSearchRequest,
        lambda b: {**b, "owner": {"type": "user", "owner_urns": []}},
    ),
    "limit_too_big": (C.SessionSearchRequest, lambda b: {**b, "limit": 201}),
    "event_kind": (
        C.TelemetrySendRequest,
        lambda b: {**b, "events": [{**b["events"][0], "event": "SESSION_PAUSE"}]},
    ),
    "severity": (
        C.TelemetrySendRequest,
        lambda b: {**b, "events": [{**b["events"][0], "severity": "FATAL"}]},
    ),
    "adamw_extra_key": (
        C.CreateModelRequest,
        lambda b: {**b, "optimizer_config": {"type": "adamw", "lr": 1}},
    ),
    "dimuon_version": (
        C.CreateModelRequest,
        lambda b: {**b, "optimizer_config": {"type": "dimuon", "version": 2}},
    ),
    "lora_unknown_key": (C.CreateModelRequest, lambda b: {**b, "lora_config": {"rank": 8, "alpha": 16}}),
    "dimuon_negative_lr": (
        C.OptimStepRequest,
        lambda b: {**b, "optimizer_params": {"type": "dimuon", "learning_rate": -1.0}},
    ),
    "finish_reason": (C.SessionFinishRequest, lambda b: {**b, "reason": {"type": "crashed"}}),
    "custom_loss_op": (
        C.CreateCustomLossRequest,
        lambda b: {**b, "graph": {"format": 1, "nodes": [{"op": "exec", "name": "n", "target": "t"}]}},
    ),
    "custom_loss_format": (C.CreateCustomLossRequest, lambda b: {**b, "graph": {**b["graph"], "format": 2}}),
    "loss_fn": (
        C.ForwardBackwardRequestBody,
        lambda b: {**b, "forward_backward_input": {**b["forward_backward_input"], "loss_fn": "mse"}},
    ),
    "forward_type": (C.ForwardRequestBody, lambda b: {**b, "type": "forward_backward"}),
}
_NESTED_BASE = {
    C.SampleRequest: "sample_all_options",
    C.SessionSearchRequest: "session_search_full",
    C.TelemetrySendRequest: "telemetry",
    C.CreateModelRequest: "create_model_lora",
    C.OptimStepRequest: "optim_step_dimuon",
    C.SessionFinishRequest: "finish_detail",
    C.CreateCustomLossRequest: "create_custom_loss",
    C.ForwardBackwardRequestBody: "forward_backward_json",
    C.ForwardRequestBody: "forward_json",
}


@pytest.mark.parametrize("case", sorted(NESTED_BAD_BODIES))
def test_nested_violations_are_rejected(case: str) -> None:
    model, mutate = NESTED_BAD_BODIES[case]
    body = REQUEST_CASES[_NESTED_BASE[model]][1]
    assert not _rejects(model, body)
    assert _rejects(model, mutate(body))


def test_open_optimizer_unions_keep_unknown_families() -> None:
    body = {**REQUEST_CASES["create_model_lora"][1], "optimizer_config": {"type": "lion", "beta": 0.9}}
    parsed = C.CreateModelRequest.from_wire(body)
    assert isinstance(parsed.optimizer_config, C.OptimizerConfigBase)
    assert parsed.to_wire()["optimizer_config"] == {"type": "lion", "beta": 0.9}
    step = C.OptimStepRequest.from_wire({"model_id": MODEL_ID, "optimizer_params": {"type": "lion", "lr": 1.0}})
    assert isinstance(step.optimizer_params, C.OptimParamsBase)


@pytest.mark.parametrize(
    "extra",
    [
        {"adam_params": {}, "optimizer_params": {"type": "dimuon", "learning_rate": 0.1}},
        {},
        {"adam_params": None},
        {"optim_params": {"learning_rate": 0.1}},
    ],
    ids=["both", "neither", "null", "python_field_name"],
)
def test_optim_step_needs_exactly_one_params_object(extra: dict[str, Any]) -> None:
    assert _rejects(C.OptimStepRequest, {"model_id": MODEL_ID, "seq_id": 2, "type": "optim_step", **extra})


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (C.LoadWeightsRequest, {"path": "p", "optimizer": True}),
        (
            C.LoadWeightsRequest,
            {"model_id": "m", "session_id": "s", "model_seq_id": 0, "path": "p", "optimizer": True},
        ),
        (C.LoadWeightsRequest, {"session_id": "s", "path": "p", "optimizer": True}),
        (C.SaveWeightsForSamplerRequest, {"model_id": "m"}),
        (C.SaveWeightsForSamplerRequest, {"model_id": "m", "path": "p", "sampling_session_seq_id": 0}),
        (C.SetCheckpointTtlRequest, {}),
    ],
    ids=[
        "load_unaddressed",
        "load_both_modes",
        "load_no_model_seq_id",
        "sampler_neither",
        "sampler_both",
        "ttl_key",
    ],
)
def test_addressing_rules(model: type[C.RequestModel], body: dict[str, Any]) -> None:
    assert _rejects(model, body)


RESPONSE_NEGATIVES: list[tuple[type[C.ResponseModel], dict[str, Any]]] = [
    (C.TelemetryResponse, {"status": "ok"}),
    (C.HealthResponse, {"status": "healthy"}),
    (C.CreateModelResponse, {"model_id": "m", "type": "get_info"}),
    (C.CreateModelResponse, {"type": "create_model"}),
    (C.RequestFailedResponse, {"error": "x", "category": "User"}),
    (C.TryAgainResponse, {"type": "try_again", "request_id": "r", "queue_state": "paused"}),
    (C.FuturesRetrieveResponse, {"completions": [{"state": "running", "request_id": "r"}], "cursor": 1}),
    (C.TrainingRunsResponse, {"training_runs": []}),
    (C.SessionSearchCursor, {"last_created_at": "2026-01-01T00:00:00", "last_session_id": "s"}),
    (C.ApiKeyInfoResponse, {"key_id": 1, "name": "n", "details": {}}),
]


@pytest.mark.parametrize(("model", "body"), RESPONSE_NEGATIVES, ids=lambda v: getattr(v, "__name__", ""))
def test_response_rejects_what_the_sdk_rejects(model: type[C.ResponseModel], body: dict[str, Any]) -> None:
    assert _rejects(model, body)
    sdk_type = PAIRS.get(model.__name__)
    if sdk_type is not None and model is not C.TryAgainResponse:
        with pytest.raises(pydantic.ValidationError):
            sdk_base.validate_type(type_=sdk_type, value=body)


def test_responses_ignore_unknown_keys() -> None:
    parsed = C.CreateModelResponse.from_wire({"model_id": "m", "future_field": [1]})
    assert parsed.to_wire() == {"model_id": "m", "type": "create_model"}


@pytest.mark.parametrize(
    ("path", "run", "kind", "checkpoint_id"),
    [
        ("tinker://run-1:train:0/weights/step1", "run-1:train:0", "training", "weights/step1"),
        ("tinker://run-1/sampler_weights/s1", "run-1", "sampler", "sampler_weights/s1"),
        ("tinker://r/external_weights/download", "r", "external", "external_weights/download"),
    ],
)
def test_parse_tinker_path_accepts(path: str, run: str, kind: str, checkpoint_id: str) -> None:
    parsed = C.parse_tinker_path(path)
    assert (parsed.tinker_path, parsed.training_run_id, parsed.checkpoint_type, parsed.checkpoint_id) == (
        path,
        run,
        kind,
        checkpoint_id,
    )
    assert parsed == C.ParsedCheckpointTinkerPath.from_tinker_path(path)
    sdk = T.ParsedCheckpointTinkerPath.from_tinker_path(path)
    assert sdk.model_dump() == parsed.model_dump()


@pytest.mark.parametrize(
    "path",
    [
        "tinker://run-1/weights",
        "tinker://run-1/weights/step1/extra",
        "tinker://run-1/checkpoints/step1",
        "tinker://run-1/Weights/step1",
        "run-1/weights/step1",
        "http://run-1/weights/step1",
        "tinker:/run-1/weights/step1",
        "",
    ],
    ids=["two_parts", "four_parts", "wrong_kind", "kind_case", "no_scheme", "http", "bad_scheme", "empty"],
)
def test_parse_tinker_path_rejects(path: str) -> None:
    with pytest.raises(ValueError, match="^Invalid tinker path: ") as ours:
        C.parse_tinker_path(path)
    with pytest.raises(ValueError) as sdk:
        T.ParsedCheckpointTinkerPath.from_tinker_path(path)
    assert str(ours.value) == str(sdk.value)
