"""AdamW against an independent textbook implementation, clipping, and the dimuon stand-in (semantics §3)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinker_harness.mock_server.model import AdamParams, AdamW, Dimuon, DimuonParams, UserInputError
from tinker_harness.mock_server.model.dimuon import newton_schulz


def _reference_adamw(
    params: dict[str, np.ndarray], grads_per_step: list[dict[str, np.ndarray]], hp: AdamParams
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Textbook AdamW (Loshchilov & Hutter, as torch documents it), written independently of the module."""
    p = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    norms = []
    for t, grads in enumerate(grads_per_step, start=1):
        total = math.sqrt(sum(float((g**2).sum()) for g in grads.values()))
        norms.append(total)
        factor = min(1.0, hp.grad_clip_norm / (total + 1e-6)) if hp.grad_clip_norm > 0 else 1.0
        for k in p:
            g = grads[k] * factor
            p[k] = p[k] - hp.learning_rate * hp.weight_decay * p[k]
            m[k] = hp.beta1 * m[k] + (1 - hp.beta1) * g
            v[k] = hp.beta2 * v[k] + (1 - hp.beta2) * g * g
            m_hat = m[k] / (1 - hp.beta1**t)
            v_hat = v[k] / (1 - hp.beta2**t)
            p[k] = p[k] - hp.learning_rate * m_hat / (np.sqrt(v_hat) + hp.eps)
    return p, norms


Arrays = dict[str, np.ndarray]


def _problem(seed: int = 0, grad_scale: float = 1.0) -> tuple[Arrays, list[Arrays]]:
    rng = np.random.default_rng(seed)
    params = {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=(3, 5))}
    grads = [{k: grad_scale * rng.normal(size=v.shape) for k, v in params.items()} for _ in range(3)]
    return params, grads


@pytest.mark.parametrize(
    ("hp", "grad_scale"),
    [
        (AdamParams(learning_rate=1e-2, weight_decay=0.1, grad_clip_norm=0.5), 3.0),  # clipping active
        (AdamParams(learning_rate=3e-3, beta1=0.8, beta2=0.99, eps=1e-8, weight_decay=0.05), 1.0),
        (AdamParams(learning_rate=1e-3, beta1=0.3, grad_clip_norm=100.0), 1.0),  # clip inactive, beta1 < .5
    ],
)
def test_adamw_matches_reference_for_three_steps(hp: AdamParams, grad_scale: float) -> None:
    params, grads = _problem(grad_scale=grad_scale)
    expected, norms = _reference_adamw(params, grads, hp)
    live = {k: v.copy() for k, v in params.items()}
    opt = AdamW()
    for step, g in enumerate(grads):
        metrics = opt.step(live, g, hp)
        if hp.grad_clip_norm > 0:
            assert metrics.keys() == {"grad_norm"}
            assert metrics["grad_norm"] == pytest.approx(norms[step], rel=1e-12)
        else:
            assert metrics == {}
    assert opt.t == 3
    for k in params:
        assert not np.allclose(live[k], params[k])
        np.testing.assert_allclose(live[k], expected[k], rtol=1e-12, atol=1e-15)


def test_clipping_is_global_not_per_parameter() -> None:
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([0.0, 4.0])}  # global norm 5, per-param norms 3 and 4
    opt = AdamW()
    metrics = opt.step({"a": np.zeros(2), "b": np.zeros(2)}, grads, AdamParams(grad_clip_norm=1.0, beta1=0.5))
    assert metrics == {"grad_norm": 5.0}
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])  # the caller's gradients are not modified
    # m = (1 - beta1) * clipped g, with the same factor 1/5 for both parameters
    np.testing.assert_allclose(opt.m["a"], [0.5 * 3.0 / 5.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(opt.m["b"], [0.0, 0.5 * 4.0 / 5.0], rtol=1e-6)


def test_adamw_state_dict_roundtrip_and_reset() -> None:
    params, grads = _problem(seed=3)
    hp = AdamParams(learning_rate=1e-2)
    first = AdamW()
    p1 = {k: v.copy() for k, v in params.items()}
    first.step(p1, grads[0], hp)
    second = AdamW()
    second.load_state_dict(first.state_dict())
    p2 = {k: v.copy() for k, v in p1.items()}
    first.step(p1, grads[1], hp)
    second.step(p2, grads[1], hp)
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    second.reset()
    assert second.t == 0 and second.m == {} and second.v == {}


@pytest.mark.parametrize(
    ("field", "hp"),
    [
        ("learning_rate", AdamParams(learning_rate=-1.0)),
        ("beta1", AdamParams(beta1=1.0)),
        ("beta2", AdamParams(beta2=-0.1)),
        ("eps", AdamParams(eps=float("nan"))),
        ("weight_decay", AdamParams(weight_decay=-1e-3)),
        ("grad_clip_norm", AdamParams(grad_clip_norm=-1.0)),
    ],
)
def test_invalid_adam_params_name_the_field(field: str, hp: AdamParams) -> None:
    params = {"a": np.ones(3)}
    with pytest.raises(UserInputError, match=f"^{field}: ") as info:
        AdamW().step(params, {"a": np.ones(3)}, hp)
    assert info.value.key == field
    np.testing.assert_array_equal(params["a"], np.ones(3))


def test_newton_schulz_roughly_orthogonalises() -> None:
    m = np.random.default_rng(0).normal(size=(12, 4))
    singular = np.linalg.svd(newton_schulz(m), compute_uv=False)
    assert singular.min() > 0.5 and singular.max() < 1.3
    assert newton_schulz(np.zeros((3, 5))).shape == (3, 5)


def test_dimuon_momentum_update_and_state() -> None:
    rng = np.random.default_rng(1)
    p = {"w": rng.normal(size=(5, 3))}
    g1, g2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    opt = Dimuon()
    start = p["w"].copy()
    assert opt.step(p, {"w": g1}, DimuonParams(learning_rate=0.1)) == {}
    np.testing.assert_allclose(p["w"], start - 0.1 * newton_schulz(g1), rtol=1e-12)
    clone = Dimuon()
    clone.load_state_dict(opt.state_dict())
    q = {"w": p["w"].copy()}
    metrics = opt.step(p, {"w": g2}, DimuonParams(learning_rate=0.1, beta1=0.5, grad_clip_norm=1e9))
    clone.step(q, {"w": g2}, DimuonParams(learning_rate=0.1, beta1=0.5, grad_clip_norm=1e9))
    assert metrics["grad_norm"] == pytest.approx(float(np.linalg.norm(g2)), rel=1e-12)
    np.testing.assert_array_equal(p["w"], q["w"])
    np.testing.assert_allclose(opt.m["w"], 0.5 * g1 + g2, rtol=1e-12)
