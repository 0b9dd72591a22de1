"""Optimizer identity and per-step hyperparameters (protocol reference §5.1, §8.4, §19).

``OptimizerConfig`` is fixed when a model is created (``CreateModelRequest``/``LoadWeightsRequest``)
and reported back by ``GetInfoResponse``/``WeightsInfoResponse``; ``OptimParams`` is what one
``/api/v1/optim_step`` applies. Both are open unions, as in the SDK: a known ``type`` selects its
strict model, any other ``type`` string is kept as a generic object with its extra fields.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import ConfigDict, Field, Tag

from ._base import RequestModel
from ._tags import tagged

__all__ = [
    "AdamOptimizerConfig",
    "AdamParams",
    "DimuonOptimizerConfig",
    "DimuonParams",
    "OptimParams",
    "OptimParamsBase",
    "OptimizerConfig",
    "OptimizerConfigBase",
]


class OptimizerConfigBase(RequestModel):
    """An optimizer family not modelled here: a ``type`` plus whatever fields it carries."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    type: str


class AdamOptimizerConfig(RequestModel):
    """AdamW, the default optimizer of a new model (``{"type": "adamw"}``)."""

    type: Literal["adamw"] = "adamw"


class DimuonOptimizerConfig(RequestModel):
    """The Dimuon optimizer (``{"type": "dimuon", "version": 1}``)."""

    type: Literal["dimuon"] = "dimuon"
    version: Literal[1] = 1


OptimizerConfig: TypeAlias = Annotated[
    Annotated[AdamOptimizerConfig, Tag("adamw")]
    | Annotated[DimuonOptimizerConfig, Tag("dimuon")]
    | Annotated[OptimizerConfigBase, Tag("other")],
    tagged(default="adamw", known=("adamw", "dimuon"), other="other"),
]
"""``optimizer_config`` of create/load/get_info/weights_info; an absent tag means AdamW."""


class AdamParams(RequestModel):
    """Adam hyperparameters of one optim step, sent as ``adam_params`` (§5.1)."""

    learning_rate: float = 0.0001
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-12
    weight_decay: float = 0.0
    grad_clip_norm: float = 0.0


class OptimParamsBase(RequestModel):
    """Hyperparameters of a non-Adam family not modelled here: ``type`` plus extra fields."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    type: str


class DimuonParams(RequestModel):
    """Dimuon hyperparameters of one optim step, sent as ``optimizer_params`` (§5.1)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    type: Literal["dimuon"] = "dimuon"
    learning_rate: float = Field(ge=0)
    grad_clip_norm: float = 0.0
    beta1: float = Field(default=0.9, ge=0, lt=1)


OptimParams: TypeAlias = Annotated[
    Annotated[DimuonParams, Tag("dimuon")] | Annotated[OptimParamsBase, Tag("other")],
    tagged(default="dimuon", known=("dimuon",), other="other"),
]
"""``optimizer_params`` of ``OptimStepRequest``: Dimuon or another tagged family."""
