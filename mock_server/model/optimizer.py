"""AdamW exactly as ``torch.optim.AdamW`` plus global-norm gradient clipping (semantics §3, §9 item 4).

``AdamW.step`` follows torch's single-tensor code path operation by operation: ``t += 1``;
``p *= 1 − lr·wd``; ``m.lerp_(g, 1 − β1)``; ``v = β2·v + (1 − β2)·g²``;
``p += (−lr / (1 − β1^t) · m) / (sqrt(v) / sqrt(1 − β2^t) + eps)`` — algebraically the textbook
``p −= lr · m̂ / (sqrt(v̂) + eps)``. With ``grad_clip_norm > 0`` every gradient is first scaled by
``min(1, clip / (‖g‖ + 1e-6))`` with ‖g‖ the GLOBAL L2 norm over all parameters (as
``torch.nn.utils.clip_grad_norm_``) and ``{"grad_norm": ‖g‖}`` (before clipping) is returned;
otherwise ``{}`` (semantics §3: a norm is only computed when clipping).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray
from .validation import UserInputError

__all__ = ["AdamParams", "AdamW", "OptimizerState", "check_hyperparameter", "clip_by_global_norm"]


@dataclass(frozen=True)
class AdamParams:
    """Tinker's ``AdamParams`` with the SDK defaults."""

    learning_rate: float = 1e-4
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-12
    weight_decay: float = 0.0
    grad_clip_norm: float = 0.0


@dataclass(frozen=True)
class OptimizerState:
    """Step count and per-parameter slots named ``"<slot>/<param>"`` (e.g. ``"m/mlp.A"``)."""

    step: int
    slots: Mapping[str, FloatArray]


def check_hyperparameter(name: str, value: float, low: float, high: float = math.inf) -> None:
    """``UserInputError(name)`` unless ``low <= value < high`` (``high`` exclusive) and finite."""
    if not (math.isfinite(value) and low <= value < high):
        bound = f"[{low}, {high})" if math.isfinite(high) else f">= {low}"
        raise UserInputError(name, f"expected a finite value {bound}, got {value!r}")


def clip_by_global_norm(
    grads: Mapping[str, FloatArray], max_norm: float
) -> tuple[dict[str, FloatArray], dict[str, float]]:
    """Gradients scaled to global norm ``<= max_norm`` and ``{"grad_norm": norm}``; no-op when 0."""
    if max_norm <= 0.0:
        return dict(grads), {}
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    coef = max_norm / (norm + 1e-6)
    clipped = {k: g * coef for k, g in grads.items()} if coef < 1.0 else dict(grads)
    return clipped, {"grad_norm": norm}


def _lerp_(m: FloatArray, g: FloatArray, weight: float) -> None:
    """In-place ``torch.lerp_`` (CPU formula: the branch depends on ``weight < 0.5``)."""
    if weight < 0.5:
        m += weight * (g - m)
    else:
        m[...] = g - (g - m) * (1.0 - weight)


class AdamW:
    """Decoupled-weight-decay Adam with lazily created moments ``m``, ``v`` and step count ``t``."""

    kind = "adamw"

    def __init__(self) -> None:
        self.t = 0
        self.m: dict[str, FloatArray] = {}
        self.v: dict[str, FloatArray] = {}

    def step(
        self, params: Mapping[str, FloatArray], grads: Mapping[str, FloatArray], hp: AdamParams
    ) -> dict[str, float]:
        """Update ``params`` in place from ``grads``; returns the metrics described above."""
        check_hyperparameter("learning_rate", hp.learning_rate, 0.0)
        check_hyperparameter("beta1", hp.beta1, 0.0, 1.0)
        check_hyperparameter("beta2", hp.beta2, 0.0, 1.0)
        check_hyperparameter("eps", hp.eps, 0.0)
        check_hyperparameter("weight_decay", hp.weight_decay, 0.0)
        check_hyperparameter("grad_clip_norm", hp.grad_clip_norm, 0.0)
        clipped, metrics = clip_by_global_norm(grads, hp.grad_clip_norm)
        self.t += 1
        lr = hp.learning_rate
        step_size = lr / (1.0 - hp.beta1**self.t)
        bias_correction2_sqrt = math.sqrt(1.0 - hp.beta2**self.t)
        for name, p in params.items():
            g = clipped[name]
            m = self.m.setdefault(name, np.zeros_like(p))
            v = self.v.setdefault(name, np.zeros_like(p))
            p *= 1.0 - lr * hp.weight_decay
            _lerp_(m, g, 1.0 - hp.beta1)
            v *= hp.beta2
            v += ((1.0 - hp.beta2) * g) * g  # addcmul_: self + (value * t1) * t2
            denom = np.sqrt(v) / bias_correction2_sqrt + hp.eps
            p += (-step_size * m) / denom  # addcdiv_: self + (value * t1) / t2
        return metrics

    def state_dict(self) -> OptimizerState:
        slots = {f"m/{k}": a.copy() for k, a in self.m.items()}
        slots.update({f"v/{k}": a.copy() for k, a in self.v.items()})
        return OptimizerState(step=self.t, slots=slots)

    def load_state_dict(self, state: OptimizerState) -> None:
        self.t = state.step
        self.m = {k[2:]: np.array(a, dtype=np.float64) for k, a in state.slots.items() if k.startswith("m/")}
        self.v = {k[2:]: np.array(a, dtype=np.float64) for k, a in state.slots.items() if k.startswith("v/")}

    def reset(self) -> None:
        """Forget moments and step count (``load_state`` without optimizer, semantics §5)."""
        self.t = 0
        self.m.clear()
        self.v.clear()
