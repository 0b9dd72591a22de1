"""SDK 0.38 policy losses: ``gspo`` and a documented stand-in for ``stable_reinforce`` (semantics §1.2).

Notation as in ``rl_losses``: ``lp`` learner logprobs, ``q`` the ``logprobs`` input, ``A`` the
``advantages``, all (N,) float32.

``gspo`` [docs/gspo] (GSPO-token). Inputs: ``target_tokens``, ``logprobs``, ``advantages`` and
``sequence_ratio_mask`` (float32 (N,), required; M = positions where it is non-zero, at least one).
The sequence ratio is ``s = exp(mean_{t∈M}(lp_t − q_t))``; every token's ratio has the value ``s``
but the gradient of its own ``lp_t`` (``s_t = sg(s)·exp(lp_t − sg(lp_t))``, so ∂s_t/∂lp_t = s).
ℓ_t = −min(s_t·A_t, clip(s_t, lo, hi)·A_t) on every position; ∂ℓ_t/∂lp_t = −s·A_t where the unclipped
branch is the minimum, else 0. The docs do not show the clip keys or defaults (semantics §8): this
mock uses PPO's ``clip_low_threshold`` = 0.8 and ``clip_high_threshold`` = 1.2 (ratio bounds),
overridable by config or per-token ``loss_fn_inputs`` like PPO.

``stable_reinforce`` — UNDOCUMENTED upstream (semantics §1.2, §8: formula unknown, config mentions
``kl_coeff``, tied to ``record_stability_info`` sampling). This mock's STAND-IN is truncated
importance-weighted REINFORCE with a quadratic pull towards the sampler:

    ℓ_t = −sg(min(r_t, c))·lp_t·A_t + ½·kl_coeff·(lp_t − q_t)²,   r_t = exp(lp_t − q_t)
    ∂ℓ_t/∂lp_t = −min(r_t, c)·A_t + kl_coeff·(lp_t − q_t)

with ``loss_fn_config`` ``clip_high_threshold`` = c (default 2.0, must be > 0) and ``kl_coeff``
(default 0.0, >= 0); inputs are the importance-sampling triple. On-policy (r = 1) it is REINFORCE.
Recorded stability info and ``sequence_id`` provenance are not used.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._arrays import AnyArray, FloatArray
from .losses import LossResult, loss_outputs, register_loss
from .rl_losses import CLIP_KEYS, PPO_DEFAULTS, RL_KEYS, check_clip_config, clip_bounds, clipped_surrogate, ratio
from .validation import UserInputError

__all__ = ["STABLE_REINFORCE_DEFAULTS", "sequence_ratio"]

STABLE_REINFORCE_DEFAULTS = {"clip_high_threshold": 2.0, "kl_coeff": 0.0}


def sequence_ratio(lp: FloatArray, inputs: Mapping[str, AnyArray]) -> float:
    """s = exp(mean over the masked positions of (lp − q)); a mask selecting nothing is a user error."""
    selected = inputs["sequence_ratio_mask"] != 0
    if not np.any(selected):
        raise UserInputError("sequence_ratio_mask", "marks no position (need at least one non-zero entry)")
    return float(np.exp(np.mean((lp - inputs["logprobs"])[selected])))


@register_loss(
    "gspo",
    float_keys=(*RL_KEYS, "sequence_ratio_mask"),
    optional_float_keys=CLIP_KEYS,
    config_defaults=PPO_DEFAULTS,
    config_check=check_clip_config,
)
def gspo(lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
    """GSPO-token: PPO's clipped objective with the sequence ratio's value on every token."""
    s = np.full_like(lp, sequence_ratio(lp, inputs))
    low, high = clip_bounds(inputs, config)
    loss, grad = clipped_surrogate(s, s, inputs["advantages"], low, high)
    return LossResult(loss=loss, grad=grad, outputs=loss_outputs(lp, loss))


def _check_stable(config: Mapping[str, float]) -> None:
    if not config["clip_high_threshold"] > 0.0:
        raise UserInputError(
            "loss_fn_config['clip_high_threshold']", f"expected a value > 0, got {config['clip_high_threshold']}"
        )
    if config["kl_coeff"] < 0.0:
        raise UserInputError("loss_fn_config['kl_coeff']", f"expected a value >= 0, got {config['kl_coeff']}")


@register_loss(
    "stable_reinforce", float_keys=RL_KEYS, config_defaults=STABLE_REINFORCE_DEFAULTS, config_check=_check_stable
)
def stable_reinforce(lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
    """The stand-in above: truncated-IS REINFORCE plus ½·kl_coeff·(lp − q)²."""
    coef = np.minimum(ratio(lp, inputs), config["clip_high_threshold"])
    adv = inputs["advantages"]
    diff = lp - inputs["logprobs"]
    kl = config["kl_coeff"]
    loss = -coef * lp * adv + 0.5 * kl * diff * diff
    return LossResult(loss=loss, grad=-coef * adv + kl * diff, outputs=loss_outputs(lp, loss))
