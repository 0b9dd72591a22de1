"""Sampling requests, sampler sessions and the JSON sample result of old SDKs.

Implements protocol reference §5 rows 17-19 and 25, §5.1, §5.2, §9, §19 and versions doc §4.1.
0.30.4+ SDKs take ``SampleResponse`` futures only as protobuf (§7); SDK 0.15 takes them only as
JSON and 0.22 as either: ``JsonSampleResponse`` is that JSON form.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from ._base import RequestModel, ResponseModel
from ._schema_rules import at_least_one_non_null, schema_rules, tinker_path_pattern, when_given
from ._tensors import ModelInput, StopReason, TensorData

__all__ = [
    "CreateSamplingSessionRequest",
    "CreateSamplingSessionResponse",
    "GetSamplerResponse",
    "JoinSamplingSessionRequest",
    "JoinSamplingSessionResponse",
    "JsonSampleResponse",
    "JsonSampledSequence",
    "SampleRequest",
    "SamplingParams",
]


class SamplingParams(RequestModel):
    """``sampling_params`` of POST /api/v1/asample (§5.1); ``stop=[]`` disables EOS stopping."""

    max_tokens: int | None = None
    seed: int | None = None
    stop: str | list[str] | list[int] | None = None
    temperature: float = 1
    top_k: int = -1
    top_p: float = 1


class SampleRequest(RequestModel):
    """Body of POST /api/v1/asample (§5 row 19, §5.1, §9.3)."""

    model_config = ConfigDict(
        json_schema_extra=schema_rules(at_least_one_non_null("sampling_session_id", "model_path", "base_model"))
    )

    num_samples: int = Field(default=1, json_schema_extra=when_given(minimum=1, maximum=128))
    prompt: ModelInput
    sampling_params: SamplingParams
    base_model: str | None = None
    model_path: str | None = Field(
        default=None, json_schema_extra=when_given(pattern=tinker_path_pattern("weights", "sampler_weights"))
    )
    sampling_session_id: str | None = None
    seq_id: int | None = None
    prompt_logprobs: bool | None = None
    topk_prompt_logprobs: int = 0
    topk_sample_logprobs: int = 0
    target_prompt_logprobs: TensorData | None = None
    prompt_alt_tokens_k: int = 0
    prompt_logprobs_last_n: int | None = None
    record_stability_info: bool | None = None
    type: Literal["sample"] = "sample"


class CreateSamplingSessionRequest(RequestModel):
    """Body of POST /api/v1/create_sampling_session (§5 row 17, §5.1)."""

    model_config = ConfigDict(json_schema_extra=schema_rules(at_least_one_non_null("model_path", "base_model")))

    session_id: str
    sampling_session_seq_id: int
    base_model: str | None = None
    model_path: str | None = Field(
        default=None, json_schema_extra=when_given(pattern=tinker_path_pattern("weights", "sampler_weights"))
    )
    type: Literal["create_sampling_session"] = "create_sampling_session"


class CreateSamplingSessionResponse(ResponseModel):
    """Direct response of POST /api/v1/create_sampling_session (§5.2)."""

    type: Literal["create_sampling_session"] = "create_sampling_session"
    sampling_session_id: str


class JoinSamplingSessionRequest(RequestModel):
    """Body of POST /api/v1/join_sampling_session (§5 row 18, §9.2)."""

    sampling_session_id: str
    type: Literal["join_sampling_session"] = "join_sampling_session"


class JoinSamplingSessionResponse(ResponseModel):
    """Direct response of POST /api/v1/join_sampling_session: the clone's counter (§9.2)."""

    type: Literal["join_sampling_session"] = "join_sampling_session"
    client_counter: int


class GetSamplerResponse(ResponseModel):
    """Response of GET /api/v1/samplers/{sampler_id} (§5 row 25, §5.2)."""

    sampler_id: str
    base_model: str
    model_path: str | None = None


class JsonSampledSequence(ResponseModel):
    """One sequence of a JSON sample result (versions doc §4.1)."""

    stop_reason: StopReason
    tokens: list[int]
    logprobs: list[float] | None = None


class JsonSampleResponse(ResponseModel):
    """JSON future result of POST /api/v1/asample for SDK 0.15/0.22 (versions doc §4.1)."""

    type: Literal["sample"] = "sample"
    sequences: list[JsonSampledSequence]
    prompt_logprobs: list[float | None] | None = None
    topk_prompt_logprobs: list[list[tuple[int, float]] | None] | None = None
