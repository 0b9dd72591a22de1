"""``dimuon``: a documented STAND-IN for Tinker's second optimizer family (semantics §3, SDK 0.38).

The real ``dimuon`` update rule is not public. This mock uses a plain Muon-style rule so that a
client selecting ``optimizer="dimuon"`` trains and checkpoints sensibly:

1. optional global-norm clipping exactly as AdamW (``grad_clip_norm > 0`` → ``{"grad_norm": ...}``;
   the SDK's ``DimuonParams``: "Nonpositive values disable gradient clipping", so negatives are allowed);
2. momentum ``m = β1·m + g`` per parameter;
3. 2-D parameters: ``O = NewtonSchulz5(m)`` ≈ the orthogonal polar factor of ``m`` (5 quintic
   iterations with Muon's coefficients, on ``m / ‖m‖_F``); other ranks: ``O = m / (‖m‖ + 1e-7)``;
4. ``p −= learning_rate · O``. No weight decay, no shape-dependent rescaling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray
from .optimizer import OptimizerState, check_hyperparameter, clip_by_global_norm

__all__ = ["Dimuon", "DimuonParams", "newton_schulz"]

_NS_COEFFS = (3.4445, -4.7750, 2.0315)
_NS_STEPS = 5


@dataclass(frozen=True)
class DimuonParams:
    learning_rate: float
    grad_clip_norm: float = 0.0
    beta1: float = 0.9


def newton_schulz(m: FloatArray, steps: int = _NS_STEPS) -> FloatArray:
    """Approximately orthogonalise a 2-D matrix (singular values pushed towards ~1)."""
    a, b, c = _NS_COEFFS
    transposed = m.shape[0] > m.shape[1]
    x = m.T if transposed else m
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    result: FloatArray = x.T if transposed else x
    return result


class Dimuon:
    """Momentum + Newton–Schulz orthogonalised updates; state = momentum ``m`` and step ``t``."""

    kind = "dimuon"

    def __init__(self) -> None:
        self.t = 0
        self.m: dict[str, FloatArray] = {}

    def step(
        self, params: Mapping[str, FloatArray], grads: Mapping[str, FloatArray], hp: DimuonParams
    ) -> dict[str, float]:
        check_hyperparameter("learning_rate", hp.learning_rate, 0.0)
        check_hyperparameter("beta1", hp.beta1, 0.0, 1.0)
        check_hyperparameter("grad_clip_norm", hp.grad_clip_norm, -math.inf)
        clipped, metrics = clip_by_global_norm(grads, hp.grad_clip_norm)
        self.t += 1
        for name, p in params.items():
            m = self.m.setdefault(name, np.zeros_like(p))
            m *= hp.beta1
            m += clipped[name]
            direction = newton_schulz(m) if m.ndim == 2 else m / (np.linalg.norm(m) + 1e-7)
            p -= hp.learning_rate * direction
        return metrics

    def state_dict(self) -> OptimizerState:
        return OptimizerState(step=self.t, slots={f"m/{k}": a.copy() for k, a in self.m.items()})

    def load_state_dict(self, state: OptimizerState) -> None:
        self.t = state.step
        self.m = {k[2:]: np.array(a, dtype=np.float64) for k, a in state.slots.items() if k.startswith("m/")}

    def reset(self) -> None:
        self.t = 0
        self.m.clear()
