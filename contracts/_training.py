"""Training-model requests and their future results.

Implements protocol reference §5 rows 9-16 and 23, §5.1, §5.2, §6.2, §19 and versions doc §3-§4.1.
Covers model creation and info, optim steps, the three weight saves, loads, unloads and
server-side custom losses, plus the JSON bodies of the old training endpoints (``/api/v1/forward``
and JSON ``/api/v1/forward_backward``, SDK 0.15/0.22; versions doc §3). 0.30.4+ send
forward/backward as protobuf (§7), which is not modelled here; ``JsonForwardBackwardOutput`` is
the JSON forward/backward result those old SDKs read.
"""

from __future__ import annotations

from typing import Any, Literal, Self, TypeAlias

from pydantic import ConfigDict, Field, model_validator

from ._base import RequestModel, ResponseModel
from ._optimizers import AdamOptimizerConfig, AdamParams, OptimizerConfig, OptimParams
from ._schema_rules import (
    SAVE_TTL,
    all_or_none_non_null,
    exactly_one_non_null,
    schema_rules,
    tinker_path_pattern,
    when_given,
)
from ._tensors import ForwardBackwardInput, TensorData

__all__ = [
    "CreateCustomLossRequest",
    "CreateCustomLossResponse",
    "CreateModelRequest",
    "CreateModelResponse",
    "CustomLossGraph",
    "CustomLossInput",
    "CustomLossInputRank",
    "CustomLossNode",
    "CustomLossNodeOp",
    "ForwardBackwardRequestBody",
    "ForwardRequestBody",
    "GetInfoRequest",
    "GetInfoResponse",
    "JsonForwardBackwardOutput",
    "LoadWeightsRequest",
    "LoadWeightsResponse",
    "LoraConfig",
    "ModelData",
    "OptimStepRequest",
    "OptimStepResponse",
    "SamplingClientKind",
    "SaveWeightsExternalRequest",
    "SaveWeightsExternalResponse",
    "SaveWeightsExternalResponseInternal",
    "SaveWeightsForSamplerRequest",
    "SaveWeightsForSamplerResponse",
    "SaveWeightsForSamplerResponseInternal",
    "SaveWeightsRequest",
    "SaveWeightsResponse",
    "UnloadModelRequest",
    "UnloadModelResponse",
]

SamplingClientKind: TypeAlias = Literal["snapshot", "inflight"]
"""Which weights a sampler save serves: a fixed snapshot or the model's mutable inflight target."""

CustomLossNodeOp: TypeAlias = Literal[
    "placeholder", "get_attr", "call_function", "call_method", "call_module", "output"
]
"""torch.fx node kinds of a traced custom loss."""

CustomLossInputRank: TypeAlias = Literal[0, 1, 2]
"""Rank of a custom-loss input per datum: scalar, ``[T]`` or ``[T, K]``."""


class LoraConfig(RequestModel):
    """``lora_config`` of POST /api/v1/create_model (§5.1)."""

    rank: int
    seed: int | None = None
    train_unembed: bool = True
    train_mlp: bool = True
    train_attn: bool = True


class CreateModelRequest(RequestModel):
    """Body of POST /api/v1/create_model (§5 row 9, §5.1)."""

    session_id: str
    model_seq_id: int
    base_model: str
    user_metadata: dict[str, Any] | None = None
    lora_config: LoraConfig | None = None
    optimizer_config: OptimizerConfig = AdamOptimizerConfig()
    type: Literal["create_model"] = "create_model"


class CreateModelResponse(ResponseModel):
    """Future result of POST /api/v1/create_model (§6.2)."""

    model_id: str
    type: Literal["create_model"] = "create_model"


class GetInfoRequest(RequestModel):
    """Body of POST /api/v1/get_info (§5 row 10)."""

    model_id: str
    type: Literal["get_info"] = "get_info"


class ModelData(ResponseModel):
    """``model_data`` of a get_info response (§5.2); ``model_name`` feeds the tokenizer lookup."""

    arch: str | None = None
    model_name: str | None = None
    tokenizer_id: str | None = None


class GetInfoResponse(ResponseModel):
    """Direct response of POST /api/v1/get_info (§5.2)."""

    type: Literal["get_info"] | None = None
    model_data: ModelData
    model_id: str
    optimizer_config: OptimizerConfig = AdamOptimizerConfig()
    is_lora: bool | None = None
    lora_rank: int | None = None
    model_name: str | None = None


class OptimStepRequest(RequestModel):
    """Body of POST /api/v1/optim_step (§5 row 12, §5.1): the wire keys, not the SDK's ``optim_params``."""

    model_config = ConfigDict(json_schema_extra=schema_rules(exactly_one_non_null("adam_params", "optimizer_params")))

    model_id: str
    seq_id: int | None = None
    type: Literal["optim_step"] = "optim_step"
    adam_params: AdamParams | None = None
    optimizer_params: OptimParams | None = None

    @model_validator(mode="after")
    def _exactly_one_params(self) -> Self:
        if (self.adam_params is None) == (self.optimizer_params is None):
            raise ValueError("exactly one of adam_params and optimizer_params must be given")
        return self


class OptimStepResponse(ResponseModel):
    """Future result of POST /api/v1/optim_step (§6.2)."""

    metrics: dict[str, float] | None = None


class SaveWeightsRequest(RequestModel):
    """Body of POST /api/v1/save_weights (§5 row 13, §5.1)."""

    model_id: str
    path: str | None = None
    seq_id: int | None = None
    ttl_seconds: int | None = Field(default=None, json_schema_extra=SAVE_TTL)
    overwrite: bool = False
    user_metadata: dict[str, str] | None = None
    type: Literal["save_weights"] = "save_weights"


class SaveWeightsResponse(ResponseModel):
    """Future result of POST /api/v1/save_weights: ``tinker://<run>/weights/<name>`` (§8.4)."""

    path: str
    type: Literal["save_weights"] | None = None


class SaveWeightsForSamplerRequest(RequestModel):
    """Body of POST /api/v1/save_weights_for_sampler (§5 row 14, §5.1): a named save or an ephemeral one."""

    model_config = ConfigDict(json_schema_extra=schema_rules(exactly_one_non_null("path", "sampling_session_seq_id")))

    model_id: str
    path: str | None = None
    sampling_session_seq_id: int | None = None
    kind: SamplingClientKind = "snapshot"
    seq_id: int | None = None
    ttl_seconds: int | None = Field(default=None, json_schema_extra=SAVE_TTL)
    user_metadata: dict[str, str] | None = None
    type: Literal["save_weights_for_sampler"] = "save_weights_for_sampler"

    @model_validator(mode="after")
    def _named_or_ephemeral(self) -> Self:
        if (self.path is None) == (self.sampling_session_seq_id is None):
            raise ValueError("exactly one of path and sampling_session_seq_id must be given")
        return self


class SaveWeightsForSamplerResponse(ResponseModel):
    """Public result of a named sampler save (``tinker://<run>/sampler_weights/<name>``)."""

    path: str
    type: Literal["save_weights_for_sampler"] | None = None


class SaveWeightsForSamplerResponseInternal(ResponseModel):
    """Future result of POST /api/v1/save_weights_for_sampler: ``path`` or ``sampling_session_id`` (§8.4)."""

    path: str | None = None
    sampling_session_id: str | None = None
    type: Literal["save_weights_for_sampler"] | None = None


class SaveWeightsExternalRequest(RequestModel):
    """Body of POST /api/v1/save_weights_external (§5 row 15, §5.1)."""

    model_id: str
    path: str
    seq_id: int | None = None
    ttl_seconds: int | None = Field(default=None, json_schema_extra=SAVE_TTL)
    age_encryption_recipients: list[str] | None = None
    type: Literal["save_weights_external"] = "save_weights_external"


class SaveWeightsExternalResponse(ResponseModel):
    """Public result of an external save (``tinker://<run>/external_weights/<name>``)."""

    path: str
    type: Literal["save_weights_external"] | None = None


class SaveWeightsExternalResponseInternal(ResponseModel):
    """Future result of POST /api/v1/save_weights_external (§8.4)."""

    path: str | None = None
    size_bytes: int | None = None
    type: Literal["save_weights_external"] | None = None


class LoadWeightsRequest(RequestModel):
    """Body of POST /api/v1/load_weights (§5 row 16, §5.1, §8.1): legacy or create-via-load addressing."""

    model_config = ConfigDict(
        json_schema_extra=schema_rules(
            exactly_one_non_null("model_id", "session_id"), all_or_none_non_null("session_id", "model_seq_id")
        )
    )

    model_id: str | None = None
    seq_id: int | None = None
    session_id: str | None = None
    model_seq_id: int | None = None
    base_model: str | None = None
    user_metadata: dict[str, Any] | None = None
    path: str = Field(json_schema_extra=when_given(pattern=tinker_path_pattern("weights")))
    optimizer: bool
    optimizer_config: OptimizerConfig | None = None
    weights_access_token: str | None = None
    type: Literal["load_weights"] = "load_weights"

    @model_validator(mode="after")
    def _one_addressing_mode(self) -> Self:
        if (self.model_id is None) == (self.session_id is None):
            raise ValueError("exactly one of model_id (legacy) and session_id (create-via-load) is needed")
        if self.session_id is not None and self.model_seq_id is None:
            raise ValueError("create-via-load addressing needs model_seq_id with session_id")
        return self


class LoadWeightsResponse(ResponseModel):
    """Future result of POST /api/v1/load_weights (§6.2)."""

    path: str | None = None
    model_id: str | None = None
    type: Literal["load_weights"] | None = None


class UnloadModelRequest(RequestModel):
    """Body of POST /api/v1/unload_model (resource only in 0.15/0.22, no caller; versions doc §2)."""

    model_id: str
    type: Literal["unload_model"] = "unload_model"


class UnloadModelResponse(ResponseModel):
    """Future result of POST /api/v1/unload_model (§6.2)."""

    model_id: str
    type: Literal["unload_model"] | None = None


class CustomLossInput(RequestModel):
    """One declared input of a custom loss (POST /api/v1/create_custom_loss, §5.1)."""

    name: str
    rank: CustomLossInputRank


class CustomLossNode(RequestModel):
    """One torch.fx node of a traced custom loss (POST /api/v1/create_custom_loss, §5.1)."""

    op: CustomLossNodeOp
    name: str
    target: str
    args: list[Any] = []
    kwargs: dict[str, Any] = {}


class CustomLossGraph(RequestModel):
    """The traced custom loss as plain data (POST /api/v1/create_custom_loss, §5.1)."""

    format: Literal[1] = 1
    nodes: list[CustomLossNode]


class CreateCustomLossRequest(RequestModel):
    """Body of POST /api/v1/create_custom_loss (§5 row 23, §5.1)."""

    session_id: str
    custom_loss_seq_id: int
    name: str
    inputs: list[CustomLossInput]
    graph: CustomLossGraph
    type: Literal["create_custom_loss"] = "create_custom_loss"


class CreateCustomLossResponse(ResponseModel):
    """Future result of POST /api/v1/create_custom_loss (§5 row 23)."""

    loss_id: str
    type: Literal["create_custom_loss"] = "create_custom_loss"


class ForwardRequestBody(RequestModel):
    """JSON body of POST /api/v1/forward (SDK 0.15/0.22 only; versions doc §3).

    No SDK version sends a ``type`` tag here; it is accepted only as ``"forward"``.
    """

    forward_input: ForwardBackwardInput
    model_id: str
    seq_id: int | None = None
    type: Literal["forward"] | None = None


class ForwardBackwardRequestBody(RequestModel):
    """JSON body of POST /api/v1/forward_backward (SDK 0.15/0.22; versions doc §3).

    No SDK version sends a ``type`` tag here; it is accepted only as ``"forward_backward"``.
    """

    forward_backward_input: ForwardBackwardInput
    model_id: str
    seq_id: int | None = None
    type: Literal["forward_backward"] | None = None


class JsonForwardBackwardOutput(ResponseModel):
    """JSON future result of forward/forward_backward for SDK 0.15/0.22 (versions doc §4.1).

    Every ``metrics`` key must be ``name:reduction`` for the SDK's chunk combiner (§6.6); that
    semantic rule is checked by ``contracts.validation``, not here.
    """

    loss_fn_output_type: str
    loss_fn_outputs: list[dict[str, TensorData]]
    metrics: dict[str, float]
