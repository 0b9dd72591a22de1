"""TrainableModel: forward_backward, optim_step, accumulation and outputs (semantics §1.1, §3, §9)."""

from __future__ import annotations

import numpy as np
import pytest

from tinker_harness.mock_server.model import (
    AdamParams,
    DatumArrays,
    DimuonParams,
    LoraConfig,
    TrainableModel,
    UserInputError,
)

VOCAB = 24


def _dataset(n: int = 4, length: int = 10, seed: int = 0) -> list[DatumArrays]:
    """SFT-style datums: next-token targets of random sequences, weight 0 on a 3-token prompt."""
    rng = np.random.default_rng(seed)
    datums = []
    for _ in range(n):
        seq = rng.integers(0, VOCAB, size=length + 1)
        weights = np.ones(length, dtype=np.float32)
        weights[:3] = 0.0
        datums.append(DatumArrays(tokens=seq[:-1], loss_fn_inputs={"target_tokens": seq[1:], "weights": weights}))
    return datums


def _run(optimizer: str = "adamw", rank: int = 4) -> TrainableModel:
    return TrainableModel.create("test/base", VOCAB, LoraConfig(rank=rank, seed=7), optimizer=optimizer)


def _losses(run: TrainableModel, hp: AdamParams | DimuonParams, steps: int = 10) -> list[float]:
    data, losses = _dataset(), []
    for _ in range(steps):
        losses.append(run.forward_backward(data, "cross_entropy").metrics["loss:sum"])
        run.optim_step(hp)
    losses.append(run.forward_backward(data, "cross_entropy", backward=False).metrics["loss:sum"])
    return losses


def test_ten_adamw_steps_strictly_decrease_loss() -> None:
    losses = _losses(_run(), AdamParams(learning_rate=1e-2))
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses
    assert losses[-1] < 0.9 * losses[0]


def test_small_learning_rate_still_decreases_loss() -> None:
    losses = _losses(_run(), AdamParams(learning_rate=1e-4))
    assert losses[-1] < losses[0]


def test_dimuon_decreases_loss() -> None:
    losses = _losses(_run("dimuon"), DimuonParams(learning_rate=1e-2))
    assert losses[-1] < losses[0]


def test_gradients_accumulate_across_calls() -> None:
    d1, d2 = _dataset(n=2)
    split, joint = _run(), _run()
    r1 = split.forward_backward([d1], "cross_entropy")
    r2 = split.forward_backward([d2], "cross_entropy")
    rj = joint.forward_backward([d1, d2], "cross_entropy")
    assert r1.metrics["loss:sum"] + r2.metrics["loss:sum"] == pytest.approx(rj.metrics["loss:sum"], rel=1e-12)
    assert any(v.any() for v in joint.model.grads.values())
    for name, grad in joint.model.grads.items():
        np.testing.assert_allclose(split.model.grads[name], grad, rtol=1e-12, atol=1e-14)


def test_forward_only_leaves_gradients_and_weights_untouched() -> None:
    run = _run()
    data = _dataset()
    run.forward_backward(data[:1], "cross_entropy")
    grads = {k: v.copy() for k, v in run.model.grads.items()}
    params = run.model.snapshot()
    fwd = run.forward_backward(data, "cross_entropy", backward=False)
    for name in grads:
        np.testing.assert_array_equal(run.model.grads[name], grads[name])
        np.testing.assert_array_equal(run.model.params[name], params[name])
    both = _run().forward_backward(data, "cross_entropy")
    assert fwd.metrics == both.metrics
    for a, b in zip(fwd.outputs, both.outputs, strict=True):
        np.testing.assert_array_equal(a["logprobs"], b["logprobs"])


def test_optim_step_applies_and_zeroes_gradients() -> None:
    run = _run()
    run.forward_backward(_dataset(), "cross_entropy")
    before = run.model.snapshot()
    assert run.optim_step(AdamParams(learning_rate=1e-2)) == {}
    assert run.step == 1
    assert all(not g.any() for g in run.model.grads.values())
    assert not np.array_equal(before["mlp.B"], run.model.params["mlp.B"])
    run.forward_backward(_dataset(), "cross_entropy")
    assert set(run.optim_step(AdamParams(grad_clip_norm=1.0))) == {"grad_norm"}


def test_outputs_are_float32_per_datum_and_loss_is_their_sum() -> None:
    rng = np.random.default_rng(3)
    tokens = rng.integers(0, VOCAB, size=5)
    targets = rng.integers(0, VOCAB, size=(5, 3))
    weights = rng.normal(size=(5, 3)).astype(np.float32)
    datum = DatumArrays(tokens=tokens, loss_fn_inputs={"target_tokens": targets, "weights": weights})
    run = _run()
    result = run.forward_backward([datum, datum], "cross_entropy")
    assert len(result.outputs) == 2
    out = result.outputs[0]
    assert set(out) == {"logprobs", "elementwise_loss"}
    assert out["logprobs"].dtype == np.float32 and out["logprobs"].shape == (5, 3)
    lp = run.model.forward(tokens, targets).logprobs
    np.testing.assert_allclose(out["logprobs"], lp, rtol=1e-6)
    np.testing.assert_allclose(out["elementwise_loss"], -weights * lp, rtol=1e-5, atol=1e-6)
    assert result.metrics["loss:sum"] == pytest.approx(2 * float(np.sum(-weights.astype(np.float64) * lp)))
    assert all(key.count(":") == 1 for key in result.metrics)


def test_invalid_datum_leaves_no_partial_gradient() -> None:
    run = _run()
    good = _dataset(n=1)[0]
    bad = DatumArrays(tokens=good.tokens, loss_fn_inputs={"target_tokens": good.loss_fn_inputs["target_tokens"]})
    with pytest.raises(UserInputError, match=r"^weights: datum 1: missing"):
        run.forward_backward([good, bad], "cross_entropy")
    assert all(not g.any() for g in run.model.grads.values())


def test_wrong_optimizer_params_and_unknown_optimizer() -> None:
    run = _run()
    with pytest.raises(UserInputError, match="^optimizer_params: DimuonParams"):
        run.optim_step(DimuonParams(learning_rate=1e-3))
    with pytest.raises(UserInputError, match="^optimizer: "):
        _run("sgd")


def test_empty_datum_and_empty_batch() -> None:
    empty = np.zeros(0, dtype=np.int64)
    datum = DatumArrays(empty, {"target_tokens": empty, "weights": np.zeros(0, dtype=np.float32)})
    run = _run()
    result = run.forward_backward([datum], "cross_entropy")
    assert result.metrics == {"loss:sum": 0.0} and result.outputs[0]["logprobs"].shape == (0,)
    assert run.forward_backward([], "cross_entropy").metrics == {"loss:sum": 0.0}
    assert all(not g.any() for g in run.model.grads.values())
