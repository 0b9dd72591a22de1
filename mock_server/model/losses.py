"""Loss registry: per-token losses and their gradients wrt logprobs (semantics §1.1, §1.2, §9 item 3).

A loss is one function ``(lp, inputs, config) -> LossResult`` registered with ``@register_loss``,
which declares the float32 ``loss_fn_inputs`` keys it needs (besides int64 ``target_tokens``), the
optional ones it reads when present, whether (N, K) targets are allowed, and its ``loss_fn_config``
defaults. ``LossFn.validate`` checks keys, dtypes, shapes (against the datum's ``model_input``
length N) and finiteness *before* any computation, raising ``UserInputError`` that names the key.
Reduction is always a sum (§1.1); gradients are wrt ``lp``. Every built-in reports
``metrics["loss:sum"]`` only (semantics §1.2 "Output diagnostics for every loss: loss:sum only").

Anything with ``name``, ``resolve_config``, ``validate`` and ``__call__`` (the ``Objective``
protocol) can be trained on — server-side custom losses use it too (``model.custom``).

Leniency (undocumented upstream, semantics §8): unknown ``loss_fn_inputs`` keys and unknown
``loss_fn_config`` keys are ignored. The RL losses live in ``rl_losses`` and ``sequence_losses``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ._arrays import AnyArray, FloatArray
from .validation import UserInputError

__all__ = [
    "LOSSES",
    "LossConfig",
    "LossFn",
    "LossImpl",
    "LossResult",
    "Objective",
    "UserInputError",
    "cross_entropy",
    "get_loss",
    "loss_outputs",
    "register_loss",
]

LossConfig = Mapping[str, float | str]


@dataclass(frozen=True)
class LossResult:
    """Per-token loss and dL/dlp (both shaped like ``target_tokens``), float32 outputs per datum and
    extra per-datum metrics (``name:sum`` summed, ``name:mean`` averaged over datums by the trainer)."""

    loss: FloatArray
    grad: FloatArray
    outputs: dict[str, AnyArray] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


LossImpl = Callable[[FloatArray, Mapping[str, AnyArray], Mapping[str, float]], LossResult]
ConfigCheck = Callable[[Mapping[str, float]], None]


class Objective(Protocol):
    """What ``TrainableModel.forward_backward`` needs from a loss (built-in or custom)."""

    @property
    def name(self) -> str: ...

    def resolve_config(self, config: LossConfig | None) -> dict[str, float]: ...

    def validate(self, inputs: Mapping[str, AnyArray], n: int) -> dict[str, AnyArray]: ...

    def __call__(self, lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult: ...


@dataclass(frozen=True)
class LossFn:
    """A registered loss: the implementation plus what its inputs and config look like."""

    name: str
    impl: LossImpl
    float_keys: tuple[str, ...]
    multi_target: bool
    config_defaults: Mapping[str, float]
    optional_float_keys: tuple[str, ...] = ()
    config_check: ConfigCheck | None = None

    def __call__(self, lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
        return self.impl(lp, inputs, config)

    def resolve_config(self, config: LossConfig | None) -> dict[str, float]:
        """Defaults overlaid with the declared keys of ``config``; values must be real numbers."""
        resolved = dict(self.config_defaults)
        for key in self.config_defaults:
            if config is not None and key in config:
                value = config[key]
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise UserInputError(f"loss_fn_config[{key!r}]", f"expected a number, got {value!r}")
                resolved[key] = float(value)
            if not np.isfinite(resolved[key]):
                raise UserInputError(f"loss_fn_config[{key!r}]", f"expected a finite number, got {resolved[key]!r}")
        if self.config_check is not None:
            self.config_check(resolved)
        return resolved

    def validate(self, inputs: Mapping[str, AnyArray], n: int) -> dict[str, AnyArray]:
        """Check ``target_tokens`` and the float keys against N; return them (floats as float64)."""
        targets = _require(inputs, "target_tokens")
        if targets.dtype.kind not in "iu":
            raise UserInputError("target_tokens", f"expected an integer dtype (int64), got {targets.dtype}")
        allowed = f"({n},) or ({n}, K)" if self.multi_target else f"({n},)"
        ok = targets.ndim == 1 or (self.multi_target and targets.ndim == 2 and targets.shape[1] >= 1)
        if not ok or targets.shape[0] != n:
            raise UserInputError(
                "target_tokens", f"expected shape {allowed} (N = model_input.length), got {targets.shape}"
            )
        checked: dict[str, AnyArray] = {"target_tokens": targets}
        optional = tuple(k for k in self.optional_float_keys if k in inputs)
        for key in self.float_keys + optional:
            value = _require(inputs, key)
            if value.dtype.kind != "f":
                raise UserInputError(key, f"expected a float dtype (float32), got {value.dtype}")
            if value.shape != targets.shape:
                raise UserInputError(key, f"expected shape {targets.shape} (same as target_tokens), got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise UserInputError(key, "contains NaN or infinite values")
            checked[key] = value.astype(np.float64)
        return checked


def _require(inputs: Mapping[str, AnyArray], key: str) -> AnyArray:
    if key not in inputs:
        raise UserInputError(key, f"missing from loss_fn_inputs (got keys {sorted(inputs)})")
    return np.asarray(inputs[key])


LOSSES: dict[str, LossFn] = {}


def register_loss(
    name: str,
    *,
    float_keys: tuple[str, ...],
    multi_target: bool = False,
    config_defaults: Mapping[str, float] | None = None,
    optional_float_keys: tuple[str, ...] = (),
    config_check: ConfigCheck | None = None,
) -> Callable[[LossImpl], LossImpl]:
    """Decorator adding ``impl`` to ``LOSSES`` under ``name``."""

    def decorate(impl: LossImpl) -> LossImpl:
        defaults = dict(config_defaults or {})
        LOSSES[name] = LossFn(name, impl, float_keys, multi_target, defaults, optional_float_keys, config_check)
        return impl

    return decorate


def get_loss(name: str) -> LossFn:
    """The registered loss ``name``; ``UserInputError("loss_fn", ...)`` if unknown."""
    if name not in LOSSES:
        raise UserInputError("loss_fn", f"unknown loss {name!r}; supported: {sorted(LOSSES)}")
    return LOSSES[name]


def loss_outputs(lp: FloatArray, loss: FloatArray) -> dict[str, AnyArray]:
    """The per-datum outputs of every built-in: ``logprobs`` and ``elementwise_loss`` (float32)."""
    return {"logprobs": lp.astype(np.float32), "elementwise_loss": loss.astype(np.float32)}


@register_loss("cross_entropy", float_keys=("weights",), multi_target=True)
def cross_entropy(lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
    """ℓ = −w·lp, dℓ/dlp = −w; any real weights, including negative ones (semantics §1.3)."""
    w = inputs["weights"]
    loss = -w * lp
    return LossResult(loss=loss, grad=-w, outputs=loss_outputs(lp, loss))
