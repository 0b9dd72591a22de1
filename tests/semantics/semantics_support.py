"""Shared pieces of the model-semantics tests: datums, and loss formulas written from the docs.

The reference formulas here are deliberately independent of ``mock_server.model``: a per-token
numpy transcription of semantics §1.2 (docs/semantics.md) (and the mock's documented choices for the
undocumented bits: DRO β = 0.05, GSPO clip bounds 0.8/1.2, the stable_reinforce stand-in), plus
the same formulas in torch for ``forward_backward_custom``, whose autograd gives an independent
gradient. A plain module with a unique name (no conftest), importable under pytest's prepend mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from tinker import types

BASE_MODEL = "Qwen/Qwen3-8B"
RL_LOSSES = ("importance_sampling", "ppo", "cispo", "dro", "gspo", "stable_reinforce")
DEFAULTS: dict[str, dict[str, float]] = {
    "importance_sampling": {},
    "ppo": {"clip_low_threshold": 0.8, "clip_high_threshold": 1.2},
    "cispo": {"clip_low_threshold": 0.0, "clip_high_threshold": 4.0},
    "dro": {"beta": 0.05},
    "gspo": {"clip_low_threshold": 0.8, "clip_high_threshold": 1.2},
    "stable_reinforce": {"clip_high_threshold": 2.0, "kl_coeff": 0.0},
}


def ce_datum(tokens: Sequence[int], weights: Sequence[float] | None = None) -> types.Datum:
    """Next-token datum over ``tokens`` (weights default to zeros: a pure logprob probe)."""
    n = len(tokens) - 1
    w = np.zeros(n, np.float32) if weights is None else np.asarray(weights, np.float32)
    return types.Datum(
        model_input=types.ModelInput.from_ints(list(tokens[:-1])),
        loss_fn_inputs={"target_tokens": np.asarray(tokens[1:], np.int64), "weights": w},
    )


def rl_datum(
    tokens: Sequence[int], q: np.ndarray, adv: np.ndarray, mask: np.ndarray | None = None, loss: str = "ppo"
) -> types.Datum:
    """An RL datum over ``tokens``: ``q``/``adv`` (and the GSPO mask) are per target position."""
    inputs: dict[str, Any] = {
        "target_tokens": np.asarray(tokens[1:], np.int64),
        "logprobs": np.asarray(q, np.float32),
        "advantages": np.asarray(adv, np.float32),
    }
    if loss == "gspo":
        inputs["sequence_ratio_mask"] = np.asarray(np.ones(len(q)) if mask is None else mask, np.float32)
    return types.Datum(model_input=types.ModelInput.from_ints(list(tokens[:-1])), loss_fn_inputs=inputs)


def reference_token_losses(
    loss: str, lp: np.ndarray, q: np.ndarray, adv: np.ndarray, mask: np.ndarray, cfg: dict[str, float]
) -> np.ndarray:
    """Per-token loss ℓ_t straight from the documented formulas, one token at a time."""
    out = []
    log_s = float(np.mean([lp[t] - q[t] for t in range(len(lp)) if mask[t] != 0])) if loss == "gspo" else 0.0
    for t in range(len(lp)):
        r = float(np.exp(lp[t] - q[t]))
        a = float(adv[t])
        if loss == "importance_sampling":
            value = -r * a
        elif loss in ("ppo", "gspo"):
            ratio = float(np.exp(log_s)) if loss == "gspo" else r
            clipped = min(max(ratio, cfg["clip_low_threshold"]), cfg["clip_high_threshold"])
            value = -min(ratio * a, clipped * a)
        elif loss == "cispo":
            coef = min(max(r, cfg["clip_low_threshold"]), cfg["clip_high_threshold"])
            value = -coef * lp[t] * a
        elif loss == "dro":
            value = -(lp[t] * a - 0.5 * cfg["beta"] * (lp[t] - q[t]) ** 2)
        else:  # stable_reinforce stand-in
            value = -min(r, cfg["clip_high_threshold"]) * lp[t] * a + 0.5 * cfg["kl_coeff"] * (lp[t] - q[t]) ** 2
        out.append(value)
    return np.asarray(out)


def torch_loss(loss: str, cfg: dict[str, float]) -> Callable[[list[types.Datum], list[torch.Tensor]], Any]:
    """The same loss as a client-side ``forward_backward_custom`` function (autograd differentiates it)."""

    def fn(data: list[types.Datum], logprobs_list: list[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        total = torch.zeros((), dtype=torch.float64)
        for datum, lp32 in zip(data, logprobs_list, strict=True):
            lp = lp32.double()
            q = torch.tensor(datum.loss_fn_inputs["logprobs"].to_numpy(), dtype=torch.float64)
            a = torch.tensor(datum.loss_fn_inputs["advantages"].to_numpy(), dtype=torch.float64)
            ratio = torch.exp(lp - q)
            if loss == "importance_sampling":
                per_token = -ratio * a
            elif loss in ("ppo", "gspo"):
                if loss == "gspo":
                    m = torch.tensor(datum.loss_fn_inputs["sequence_ratio_mask"].to_numpy()) != 0
                    seq = torch.exp((lp.detach() - q)[m].mean())
                    ratio = seq * torch.exp(lp - lp.detach())
                lo, hi = cfg["clip_low_threshold"], cfg["clip_high_threshold"]
                per_token = -torch.minimum(ratio * a, torch.clamp(ratio, lo, hi) * a)
            elif loss == "cispo":
                coef = torch.clamp(ratio, cfg["clip_low_threshold"], cfg["clip_high_threshold"]).detach()
                per_token = -coef * lp * a
            elif loss == "dro":
                per_token = -(lp * a - 0.5 * cfg["beta"] * (lp - q) ** 2)
            else:
                coef = torch.clamp(ratio, max=cfg["clip_high_threshold"]).detach()
                per_token = -coef * lp * a + 0.5 * cfg["kl_coeff"] * (lp - q) ** 2
            total = total + per_token.sum()
        return total, {}

    return fn


def linear_adam(learning_rate: float = 1.0) -> types.AdamParams:
    """Adam with a huge ``eps``: the first step is ≈ −(lr/eps)·g, linear in the gradient (§3 AdamParams)."""
    return types.AdamParams(learning_rate=learning_rate * 1e6, eps=1e6, beta1=0.9, beta2=0.95)


def logprobs_of(training: Any, sequences: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """Per-token learner logprobs of each sequence (a weight-0 cross_entropy forward)."""
    out = training.forward([ce_datum(s) for s in sequences], "cross_entropy").result()
    return [np.asarray(o["logprobs"].to_numpy(), np.float64) for o in out.loss_fn_outputs]
