"""Training runs, checkpoints and ``tinker://`` paths.

Implements protocol reference §5 rows 26-36, §10 and §13, and versions doc §7 (archive URL).
Checkpoint ids contain a slash (``weights/<name>``, ``sampler_weights/<name>``,
``external_weights/<name>``) and are interpolated raw into REST paths (§5).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeAlias

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from ._base import RequestModel, ResponseModel
from ._optimizers import AdamOptimizerConfig, OptimizerConfig
from ._schema_rules import CHECKPOINT_TTL, tinker_path_pattern, when_given

__all__ = [
    "Checkpoint",
    "CheckpointArchiveUrlResponse",
    "CheckpointType",
    "CheckpointsListResponse",
    "CopyWeightsRequest",
    "CopyWeightsResponse",
    "Cursor",
    "ExternalWeightsUrlsResponse",
    "ParsedCheckpointTinkerPath",
    "SetCheckpointTtlRequest",
    "TrainingRun",
    "TrainingRunsResponse",
    "WeightsInfoRequest",
    "WeightsInfoResponse",
    "parse_tinker_path",
]

CheckpointType: TypeAlias = Literal["training", "sampler", "external"]
"""Kind of checkpoint, from the path segment ``weights`` / ``sampler_weights`` / ``external_weights``."""

_TINKER_SCHEME = "tinker://"

_KIND_BY_SEGMENT: dict[str, CheckpointType] = {
    "weights": "training",
    "sampler_weights": "sampler",
    "external_weights": "external",
}


class Cursor(ResponseModel):
    """Offset/limit pagination echo of the list endpoints (§10)."""

    offset: int
    limit: int
    total_count: int


class Checkpoint(ResponseModel):
    """One checkpoint of a training run (GET /api/v1/training_runs/{id}/checkpoints, /api/v1/checkpoints)."""

    checkpoint_id: str
    checkpoint_type: CheckpointType
    time: datetime
    tinker_path: str
    size_bytes: int | None = None
    public: bool = False
    user_metadata: dict[str, str] | None = None
    expires_at: datetime | None = None


class CheckpointsListResponse(ResponseModel):
    """Response of GET /api/v1/training_runs/{id}/checkpoints and GET /api/v1/checkpoints (§5 rows 28-29)."""

    checkpoints: list[Checkpoint]
    cursor: Cursor | None = None


class TrainingRun(ResponseModel):
    """Response of GET /api/v1/training_runs/{training_run_id} (§5 row 27)."""

    training_run_id: str
    base_model: str
    model_owner: str
    is_lora: bool
    corrupted: bool = False
    lora_rank: int | None = None
    last_request_time: datetime
    last_checkpoint: Checkpoint | None = None
    last_sampler_checkpoint: Checkpoint | None = None
    user_metadata: dict[str, str] | None = None


class TrainingRunsResponse(ResponseModel):
    """Response of GET /api/v1/training_runs (§5 row 26); ``cursor`` is required."""

    training_runs: list[TrainingRun]
    cursor: Cursor


class ParsedCheckpointTinkerPath(ResponseModel):
    """The parts of a ``tinker://<run>/<kind>/<name>`` checkpoint path (§10)."""

    tinker_path: str
    training_run_id: str
    checkpoint_type: CheckpointType
    checkpoint_id: str

    @classmethod
    def from_tinker_path(cls, tinker_path: str) -> ParsedCheckpointTinkerPath:
        """Parse ``tinker_path`` with the SDK's rules; ``ValueError`` if it is not a checkpoint path."""
        if not tinker_path.startswith(_TINKER_SCHEME):
            raise ValueError(f"Invalid tinker path: {tinker_path}")
        parts = tinker_path[len(_TINKER_SCHEME) :].split("/")
        if len(parts) != 3 or parts[1] not in _KIND_BY_SEGMENT:
            raise ValueError(f"Invalid tinker path: {tinker_path}")
        run_id, segment, name = parts
        return cls(
            tinker_path=tinker_path,
            training_run_id=run_id,
            checkpoint_type=_KIND_BY_SEGMENT[segment],
            checkpoint_id=f"{segment}/{name}",
        )


def parse_tinker_path(path: str) -> ParsedCheckpointTinkerPath:
    """Parse a ``tinker://`` checkpoint path exactly as the SDK does (§10)."""
    return ParsedCheckpointTinkerPath.from_tinker_path(path)


class WeightsInfoRequest(RequestModel):
    """Body of POST /api/v1/weights_info (§5 row 35)."""

    tinker_path: str = Field(json_schema_extra=when_given(pattern=tinker_path_pattern()))


class WeightsInfoResponse(ResponseModel):
    """Response of POST /api/v1/weights_info (§5 row 35, §10)."""

    base_model: str
    optimizer_config: OptimizerConfig = AdamOptimizerConfig()
    is_lora: bool
    lora_rank: int | None = None
    train_unembed: bool | None = None
    train_mlp: bool | None = None
    train_attn: bool | None = None


class CopyWeightsRequest(RequestModel):
    """Body of POST /api/v1/copy_weights (§5 row 36, §5.1); the access token travels in a header."""

    session_id: str | None = None
    model_seq_id: int | None = None
    destination_project_id: str | None = None
    source_path: str = Field(json_schema_extra=when_given(pattern=tinker_path_pattern("weights", "sampler_weights")))
    ttl_seconds: int | None = Field(default=None, json_schema_extra=CHECKPOINT_TTL)
    weights_access_token: str | None = None


class CopyWeightsResponse(ResponseModel):
    """Response of POST /api/v1/copy_weights (§5 row 36)."""

    tinker_path: str


class ExternalWeightsUrlsResponse(ResponseModel):
    """Response of GET …/checkpoints/{checkpoint_id}/external_weights_urls (§5 row 34, §13)."""

    urls: dict[str, str]
    expires: datetime


class SetCheckpointTtlRequest(RequestModel):
    """Body of PUT /api/v1/training_runs/{run}/checkpoints/{ckpt}/ttl (§5 row 33); null removes the TTL."""

    ttl_seconds: int | None = Field(json_schema_extra=CHECKPOINT_TTL)

    @model_serializer(mode="wrap")
    def _always_send_ttl(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body: dict[str, Any] = handler(self)
        body.setdefault("ttl_seconds", self.ttl_seconds)
        return body


class CheckpointArchiveUrlResponse(ResponseModel):
    """200 JSON form of the legacy GET …/checkpoints/{ckpt}/archive (SDK 0.30.4 only; versions doc §7)."""

    url: str
    expires: datetime
