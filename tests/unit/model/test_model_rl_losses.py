"""RL losses of the numpy model: values, gradients, configs and inputs (semantics §1.2, §9 item 3)."""

from __future__ import annotations

import numpy as np
import pytest

from tinker_harness.mock_server.model import LOSSES, AdamParams, DatumArrays, LoraConfig, TrainableModel, UserInputError
from tinker_harness.mock_server.model.rl_losses import CISPO_DEFAULTS, DRO_BETA, PPO_DEFAULTS
from tinker_harness.mock_server.model.sequence_losses import STABLE_REINFORCE_DEFAULTS

RNG = np.random.default_rng(0)
N = 7
LP = -RNG.uniform(0.2, 3.0, N)
Q = LP + RNG.normal(0.0, 0.5, N)
ADV = RNG.normal(0.0, 1.0, N)
MASK = np.array([0, 0, 1, 1, 1, 0, 1], dtype=np.float64)
INPUTS = {"target_tokens": np.arange(N), "logprobs": Q, "advantages": ADV, "sequence_ratio_mask": MASK}
NAMES = ("importance_sampling", "ppo", "cispo", "dro", "gspo", "stable_reinforce")


def _loss(name: str, lp: np.ndarray, config: dict[str, float] | None = None) -> float:
    spec = LOSSES[name]
    return float(np.sum(spec(lp, INPUTS, spec.resolve_config(config)).loss))


def _surrogate(name: str, lp: np.ndarray, at: np.ndarray) -> float:
    """The objective whose gradient the doc formulas define: stop-gradient parts are frozen at ``at``."""
    r_at = np.exp(at - Q)
    if name == "cispo":
        return float(np.sum(-np.clip(r_at, 0.0, 4.0) * lp * ADV))
    if name == "stable_reinforce":
        return float(np.sum(-np.minimum(r_at, 2.0) * lp * ADV))
    if name == "gspo":  # value of s, gradient of each token's own lp
        s = np.exp(np.mean((at - Q)[MASK != 0])) * np.exp(lp - at)
        return float(np.sum(-np.minimum(s * ADV, np.clip(s, 0.8, 1.2) * ADV)))
    return _loss(name, lp)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences_of_the_documented_objective(name: str) -> None:
    spec = LOSSES[name]
    grad = spec(LP, INPUTS, spec.resolve_config(None)).grad
    h = 1e-6
    numeric = np.array(
        [(_surrogate(name, LP + h * e, LP) - _surrogate(name, LP - h * e, LP)) / (2 * h) for e in np.eye(N)]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_values_follow_the_formulas() -> None:
    r = np.exp(LP - Q)
    cfg = {name: LOSSES[name].resolve_config(None) for name in NAMES}
    assert cfg["ppo"] == PPO_DEFAULTS and cfg["cispo"] == CISPO_DEFAULTS and cfg["dro"] == {"beta": DRO_BETA}
    assert cfg["gspo"] == PPO_DEFAULTS and cfg["stable_reinforce"] == STABLE_REINFORCE_DEFAULTS
    assert _loss("importance_sampling", LP) == pytest.approx(float(np.sum(-r * ADV)))
    assert _loss("ppo", LP) == pytest.approx(float(np.sum(-np.minimum(r * ADV, np.clip(r, 0.8, 1.2) * ADV))))
    assert _loss("cispo", LP) == pytest.approx(float(np.sum(-np.clip(r, 0, 4) * LP * ADV)))
    assert _loss("dro", LP, {"beta": 0.3}) == pytest.approx(float(np.sum(-(LP * ADV - 0.15 * (LP - Q) ** 2))))
    s = np.exp(np.mean((LP - Q)[MASK != 0]))
    assert _loss("gspo", LP) == pytest.approx(float(np.sum(-np.minimum(s * ADV, np.clip(s, 0.8, 1.2) * ADV))))
    kl = {"kl_coeff": 0.5, "clip_high_threshold": 1.5}
    expected = np.sum(-np.minimum(r, 1.5) * LP * ADV + 0.25 * (LP - Q) ** 2)
    assert _loss("stable_reinforce", LP, kl) == pytest.approx(float(expected))


def test_ppo_zeroes_the_gradient_only_on_the_clipped_side() -> None:
    lp = np.log(np.array([0.5, 0.5, 1.5, 1.5, 1.0, 1.3]))  # with q = 0: r = exp(lp)
    adv = np.array([1.0, -1.0, 1.0, -1.0, 2.0, 0.0])
    inputs = {"target_tokens": np.zeros(6, np.int64), "logprobs": np.zeros(6), "advantages": adv}
    result = LOSSES["ppo"](lp, inputs, PPO_DEFAULTS)
    r = np.exp(lp)
    np.testing.assert_allclose(result.grad, [-r[0] * 1, 0.0, 0.0, r[3], -2.0, 0.0])


def test_per_token_clip_thresholds_override_the_config() -> None:
    inputs = {**INPUTS, "clip_low_threshold": np.full(N, 0.99), "clip_high_threshold": np.full(N, 1.01)}
    spec = LOSSES["ppo"]
    narrow = spec(LP, inputs, spec.resolve_config(None)).loss
    via_config = spec(LP, INPUTS, spec.resolve_config({"clip_low_threshold": 0.99, "clip_high_threshold": 1.01})).loss
    np.testing.assert_allclose(narrow, via_config)
    assert not np.allclose(narrow, spec(LP, INPUTS, spec.resolve_config(None)).loss)


@pytest.mark.parametrize(
    ("name", "config", "key"),
    [
        ("ppo", {"clip_low_threshold": 1.3}, "loss_fn_config"),
        ("cispo", {"clip_low_threshold": -0.1}, "loss_fn_config"),
        ("dro", {"beta": -0.5}, "loss_fn_config['beta']"),
        ("stable_reinforce", {"kl_coeff": -1.0}, "loss_fn_config['kl_coeff']"),
        ("stable_reinforce", {"clip_high_threshold": 0.0}, "loss_fn_config['clip_high_threshold']"),
        ("ppo", {"clip_high_threshold": float("inf")}, "loss_fn_config['clip_high_threshold']"),
    ],
)
def test_bad_configs_are_user_errors(name: str, config: dict[str, float], key: str) -> None:
    with pytest.raises(UserInputError) as info:
        LOSSES[name].resolve_config(config)
    assert info.value.key == key


def test_only_cross_entropy_and_importance_sampling_take_k_targets() -> None:
    two = {k: np.stack([v, v], axis=1) for k, v in INPUTS.items()}
    assert LOSSES["importance_sampling"].validate(two, N)["advantages"].shape == (N, 2)
    with pytest.raises(UserInputError, match=r"^target_tokens: expected shape \(7,\)"):
        LOSSES["ppo"].validate(two, N)


def test_rl_gradients_feed_the_same_accumulator_as_cross_entropy() -> None:
    """A loss with gradient g on lp moves the model exactly like cross_entropy with weights −g (semantics §1.3)."""
    tokens, targets = np.array([3, 1, 4, 1, 5, 9, 2]), np.array([1, 4, 1, 5, 9, 2, 6])
    for name in NAMES:
        runs = [TrainableModel.create("acc-base", 16, LoraConfig(rank=2, seed=1)) for _ in range(2)]
        for run in runs:  # make B non-zero so every factor gets a gradient
            run.forward_backward(
                [DatumArrays(tokens, {"target_tokens": targets, "weights": np.ones(N)})], "cross_entropy"
            )
            run.optim_step(AdamParams(learning_rate=0.1))
        inputs = {**INPUTS, "target_tokens": targets}
        lp = runs[0].model.forward(tokens, targets).logprobs
        grad = LOSSES[name](lp, inputs, LOSSES[name].resolve_config(None)).grad
        runs[0].forward_backward([DatumArrays(tokens, inputs)], name)
        runs[1].forward_backward([DatumArrays(tokens, {"target_tokens": targets, "weights": -grad})], "cross_entropy")
        for key in runs[0].model.grads:
            np.testing.assert_allclose(runs[0].model.grads[key], runs[1].model.grads[key], atol=1e-12, err_msg=name)
        assert any(np.abs(g).max() > 0 for g in runs[0].model.grads.values())
