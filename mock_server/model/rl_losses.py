"""Token-level policy-gradient losses: importance_sampling, ppo, cispo, dro (semantics §1.2, §9 item 3).

Notation (semantics §1.1): ``lp`` = learner logprob of the target (this pass), ``q`` = the
``logprobs`` input (sampler logprobs), ``A`` = ``advantages``, ``r = exp(lp − q)``; every input is
float32 with the shape of ``target_tokens``. Per-token loss ℓ; total = Σ ℓ (no normalisation);
``grad`` = ∂ℓ/∂lp, the quantity ``LoraModel.backward`` consumes.

- ``importance_sampling`` [docs/is]: ℓ = −r·A; ∂ℓ/∂lp = −r·A. Accepts (N, K) targets [cb-multi].
- ``ppo`` [docs/ppo, tut202]: ℓ = −min(r·A, clip(r, lo, hi)·A); ∂ℓ/∂lp = −r·A where the unclipped
  branch is the minimum (ties included: both branches then have that gradient), 0 where the clipped
  branch is strictly smaller. Defaults lo = 0.8, hi = 1.2 (ε = 0.2).
- ``cispo`` [docs/cispo, tut202]: ℓ = −sg(clip(r, lo, hi))·lp·A; ∂ℓ/∂lp = −clip(r, lo, hi)·A.
  Defaults lo = 0.0, hi = 4.0 (one-sided).
- ``dro`` [docs/dro]: ℓ = −(lp·A − ½·β·(lp − q)²); ∂ℓ/∂lp = −A + β·(lp − q). The docs give no
  default for β; this mock uses **β = 0.05**, the value of the docs' example (semantics §8 gap).

Clip bounds come from ``loss_fn_config`` (``clip_low_threshold``, ``clip_high_threshold``); the
SDK also types per-token ``clip_low_threshold``/``clip_high_threshold`` ``loss_fn_inputs``
(semantics §1.1, undocumented) — when present they replace the config value token by token.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._arrays import AnyArray, FloatArray
from .losses import LossResult, loss_outputs, register_loss
from .validation import UserInputError

__all__ = ["PPO_DEFAULTS", "CISPO_DEFAULTS", "DRO_BETA", "check_clip_config", "clip_bounds", "ratio"]

RL_KEYS = ("logprobs", "advantages")
CLIP_KEYS = ("clip_low_threshold", "clip_high_threshold")
PPO_DEFAULTS = {"clip_low_threshold": 0.8, "clip_high_threshold": 1.2}
CISPO_DEFAULTS = {"clip_low_threshold": 0.0, "clip_high_threshold": 4.0}
DRO_BETA = 0.05


def check_clip_config(config: Mapping[str, float]) -> None:
    """``0 <= clip_low_threshold <= clip_high_threshold`` (ratio bounds, not ε values)."""
    low, high = config["clip_low_threshold"], config["clip_high_threshold"]
    if not 0.0 <= low <= high:
        raise UserInputError(
            "loss_fn_config",
            f"clip thresholds are ratio bounds: need 0 <= clip_low_threshold <= clip_high_threshold, "
            f"got {low} and {high}",
        )


def ratio(lp: FloatArray, inputs: Mapping[str, AnyArray]) -> FloatArray:
    """r = exp(lp − q) with q the sampler ``logprobs``."""
    result: FloatArray = np.exp(lp - inputs["logprobs"])
    return result


def clip_bounds(inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> tuple[FloatArray, FloatArray]:
    """Per-token (lo, hi): the ``loss_fn_inputs`` thresholds when given, else the config's."""
    low = np.asarray(inputs.get("clip_low_threshold", config["clip_low_threshold"]), dtype=np.float64)
    high = np.asarray(inputs.get("clip_high_threshold", config["clip_high_threshold"]), dtype=np.float64)
    return low, high


def clipped_surrogate(
    value: FloatArray, grad_scale: FloatArray, adv: FloatArray, low: FloatArray, high: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """ℓ = −min(v·A, clip(v, lo, hi)·A) and ∂ℓ/∂lp = −grad_scale·A where the unclipped branch wins, else 0."""
    unclipped = value * adv
    clipped = np.clip(value, low, high) * adv
    loss: FloatArray = -np.minimum(unclipped, clipped)
    grad: FloatArray = np.where(unclipped <= clipped, -grad_scale * adv, 0.0)
    return loss, grad


@register_loss("importance_sampling", float_keys=RL_KEYS, multi_target=True)
def importance_sampling(lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
    """ℓ = −r·A (ratio not clipped)."""
    r = ratio(lp, inputs)
    loss = -r * inputs["advantages"]
    return LossResult(loss=loss, grad=loss.copy(), outputs=loss_outputs(lp, loss))


@register_loss(
    "ppo",
    float_keys=RL_KEYS,
    optional_float_keys=CLIP_KEYS,
    config_defaults=PPO_DEFAULTS,
    config_check=check_clip_config,
)
def ppo(lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
    """ℓ = −min(r·A, clip(r, lo, hi)·A), token-wise."""
    r = ratio(lp, inputs)
    low, high = clip_bounds(inputs, config)
    loss, grad = clipped_surrogate(r, r, inputs["advantages"], low, high)
    return LossResult(loss=loss, grad=grad, outputs=loss_outputs(lp, loss))


@register_loss(
    "cispo",
    float_keys=RL_KEYS,
    optional_float_keys=CLIP_KEYS,
    config_defaults=CISPO_DEFAULTS,
    config_check=check_clip_config,
)
def cispo(lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
    """ℓ = −sg(clip(r, lo, hi))·lp·A: the detached coefficient never zeroes a token's gradient."""
    low, high = clip_bounds(inputs, config)
    coef = np.clip(ratio(lp, inputs), low, high)
    adv = inputs["advantages"]
    loss = -coef * lp * adv
    return LossResult(loss=loss, grad=-coef * adv, outputs=loss_outputs(lp, loss))


def _check_beta(config: Mapping[str, float]) -> None:
    if config["beta"] < 0.0:
        raise UserInputError("loss_fn_config['beta']", f"expected a value >= 0, got {config['beta']}")


@register_loss("dro", float_keys=RL_KEYS, config_defaults={"beta": DRO_BETA}, config_check=_check_beta)
def dro(lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
    """ℓ = −(lp·A − ½·β·(lp − q)²), applied literally on every position (prompt ones included)."""
    beta = config["beta"]
    diff = lp - inputs["logprobs"]
    adv = inputs["advantages"]
    loss = -(lp * adv - 0.5 * beta * diff * diff)
    return LossResult(loss=loss, grad=-adv + beta * diff, outputs=loss_outputs(lp, loss))
