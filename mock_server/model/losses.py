"""Loss registry: per-token losses and their gradients wrt logprobs (semantics §1.1, §1.2, §9 item 3).

A loss is one function ``(lp, inputs, config) -> LossResult`` registered with ``@register_loss``,
which declares the ``loss_fn_inputs`` keys it needs (besides ``target_tokens``), whether (N, K)
targets are allowed, and its ``loss_fn_config`` defaults. ``LossFn.validate`` checks keys, dtypes
and shapes against the datum's ``model_input`` length N *before* any computation, raising
``UserInputError`` that names the key. Reduction is always a sum (§1.1); gradients are wrt ``lp``.

Leniency (undocumented upstream, semantics §8): unknown ``loss_fn_inputs`` keys and unknown
``loss_fn_config`` keys are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ._arrays import AnyArray, FloatArray
from .validation import UserInputError

__all__ = [
    "LOSSES",
    "LossConfig",
    "LossFn",
    "LossImpl",
    "LossResult",
    "UserInputError",
    "cross_entropy",
    "get_loss",
    "register_loss",
]

LossConfig = Mapping[str, float | str]


@dataclass(frozen=True)
class LossResult:
    """Per-token loss and dL/dlp (both shaped like ``target_tokens``) plus float32 outputs per datum."""

    loss: FloatArray
    grad: FloatArray
    outputs: dict[str, AnyArray] = field(default_factory=dict)


LossImpl = Callable[[FloatArray, Mapping[str, AnyArray], Mapping[str, float]], LossResult]


@dataclass(frozen=True)
class LossFn:
    """A registered loss: the implementation plus what its inputs and config look like."""

    name: str
    impl: LossImpl
    float_keys: tuple[str, ...]
    multi_target: bool
    config_defaults: Mapping[str, float]

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
        for key in self.float_keys:
            value = _require(inputs, key)
            if value.dtype.kind != "f":
                raise UserInputError(key, f"expected a float dtype (float32), got {value.dtype}")
            if value.shape != targets.shape:
                raise UserInputError(key, f"expected shape {targets.shape} (same as target_tokens), got {value.shape}")
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
) -> Callable[[LossImpl], LossImpl]:
    """Decorator adding ``impl`` to ``LOSSES`` under ``name``."""

    def decorate(impl: LossImpl) -> LossImpl:
        LOSSES[name] = LossFn(name, impl, float_keys, multi_target, dict(config_defaults or {}))
        return impl

    return decorate


def get_loss(name: str) -> LossFn:
    """The registered loss ``name``; ``UserInputError("loss_fn", ...)`` if unknown."""
    if name not in LOSSES:
        raise UserInputError("loss_fn", f"unknown loss {name!r}; supported: {sorted(LOSSES)}")
    return LOSSES[name]


def _outputs(lp: FloatArray, loss: FloatArray) -> dict[str, AnyArray]:
    return {"logprobs": lp.astype(np.float32), "elementwise_loss": loss.astype(np.float32)}


@register_loss("cross_entropy", float_keys=("weights",), multi_target=True)
def cross_entropy(lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
    """ℓ = −w·lp, dℓ/dlp = −w; any real weights, including negative ones (semantics §1.3)."""
    w = inputs["weights"]
    loss = -w * lp
    return LossResult(loss=loss, grad=-w, outputs=_outputs(lp, loss))
