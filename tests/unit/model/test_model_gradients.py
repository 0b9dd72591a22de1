"""Finite-difference checks of ``LoraModel.backward`` through the cross_entropy loss (semantics §9 item 3)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from model_test_support import ALL_GROUPS, make_model

from tinker_harness.mock_server.model import LOSSES, LoraModel

GROUP_SETS = [ALL_GROUPS, ("mlp",), ("attn",), ("unembed",), ("attn", "unembed")]


def _ce_total(model: LoraModel, tokens: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> float:
    lp = model.forward(tokens, targets).logprobs
    result = LOSSES["cross_entropy"](lp, {"target_tokens": targets, "weights": weights}, {})
    return float(np.sum(result.loss))


def _numeric_grad(model: LoraModel, name: str, *args: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    param = model.params[name]
    grad = np.zeros_like(param)
    for idx in np.ndindex(param.shape):
        orig = param[idx]
        param[idx] = orig + eps
        plus = _ce_total(model, *args)
        param[idx] = orig - eps
        minus = _ce_total(model, *args)
        param[idx] = orig
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("groups", GROUP_SETS, ids=["+".join(g) for g in GROUP_SETS])
@pytest.mark.parametrize("k", [None, 3], ids=["1d-targets", "NK-targets"])
def test_backward_matches_central_differences(groups: Sequence[str], k: int | None) -> None:
    vocab = 7
    model = make_model(vocab=vocab, rank=3, groups=groups, seed=5)
    rng = np.random.default_rng(42)
    n = 6
    tokens = rng.integers(0, 3 * vocab, size=n)  # ids >= V exercise the modulo mapping too
    shape = (n,) if k is None else (n, k)
    targets = rng.integers(0, vocab, size=shape)
    weights = rng.normal(size=shape)  # includes negative weights
    assert (weights < 0).any()

    lp_pass = model.forward(tokens, targets)
    result = LOSSES["cross_entropy"](lp_pass.logprobs, {"target_tokens": targets, "weights": weights}, {})
    model.zero_grad()
    model.backward(lp_pass, result.grad)

    assert sorted(model.grads) == sorted(f"{g}.{m}" for g in groups for m in "AB")
    for name in model.params:
        analytic = model.grads[name]
        numeric = _numeric_grad(model, name, tokens, targets, weights)
        assert np.linalg.norm(analytic) > 1e-3, name
        rel = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
        assert rel < 1e-6, (name, rel)


def test_backward_accumulates_until_zero_grad() -> None:
    model = make_model()
    tokens, targets = np.array([1, 2, 3, 4]), np.array([2, 3, 4, 5])
    pass_ = model.forward(tokens, targets)
    grad = np.array([1.0, -0.5, 2.0, 0.25])
    model.backward(pass_, grad)
    once = {k: v.copy() for k, v in model.grads.items()}
    model.backward(pass_, grad)
    for name, value in model.grads.items():
        np.testing.assert_allclose(value, 2 * once[name], rtol=1e-12, atol=0)
    model.zero_grad()
    assert all(not v.any() for v in model.grads.values())


def test_backward_rejects_mismatched_gradient_shape() -> None:
    model = make_model()
    pass_ = model.forward(np.array([1, 2, 3]), np.array([2, 3, 4]))
    with pytest.raises(ValueError, match="shape"):
        model.backward(pass_, np.ones((3, 2)))
