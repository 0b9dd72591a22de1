"""save_state / load_state / from_state round trips and resets (semantics §5, §9 item 5)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tinker_harness.mock_server.model import (
    AdamParams,
    CheckpointFormatError,
    DatumArrays,
    DimuonParams,
    LoraConfig,
    OptimizerState,
    TrainableModel,
    TrainingState,
    UserInputError,
)

VOCAB = 20


def _data(seed: int) -> list[DatumArrays]:
    rng = np.random.default_rng(seed)
    seqs = [rng.integers(0, VOCAB, size=9) for _ in range(3)]
    return [DatumArrays(s[:-1], {"target_tokens": s[1:], "weights": np.ones(8, dtype=np.float32)}) for s in seqs]


def _step(run: TrainableModel, seed: int, hp: AdamParams | DimuonParams) -> None:
    run.forward_backward(_data(seed), "cross_entropy")
    run.optim_step(hp)


def _run(optimizer: str = "adamw", rank: int = 3) -> TrainableModel:
    return TrainableModel.create("ckpt/base", VOCAB, LoraConfig(rank=rank, seed=11), optimizer=optimizer)


def _assert_params_equal(a: TrainableModel, b: TrainableModel) -> None:
    assert sorted(a.model.params) == sorted(b.model.params)
    for name in a.model.params:
        np.testing.assert_array_equal(a.model.params[name], b.model.params[name])


@pytest.mark.parametrize(
    ("optimizer", "hp"),
    [("adamw", AdamParams(learning_rate=1e-2)), ("dimuon", DimuonParams(learning_rate=1e-2))],
)
def test_resume_with_optimizer_is_bit_identical(optimizer: str, hp: AdamParams | DimuonParams) -> None:
    straight = _run(optimizer)
    for seed in range(3):
        _step(straight, seed, hp)

    first = _run(optimizer)
    _step(first, 0, hp)
    _step(first, 1, hp)
    resumed = TrainableModel.from_state(first.save_state(include_optimizer=True), with_optimizer=True)
    assert resumed.step == 2 and resumed.optimizer_kind == optimizer
    _step(resumed, 2, hp)
    _assert_params_equal(straight, resumed)

    fresh_opt = TrainableModel.from_state(first.save_state(include_optimizer=True), with_optimizer=False)
    assert fresh_opt.step == 0
    _step(fresh_opt, 2, hp)
    assert not np.array_equal(fresh_opt.model.params["mlp.B"], straight.model.params["mlp.B"])


def test_load_state_into_existing_run() -> None:
    hp = AdamParams(learning_rate=1e-2)
    source = _run()
    _step(source, 0, hp)
    data = source.save_state()
    target = _run()
    target.forward_backward(_data(5), "cross_entropy")  # pending gradient is discarded by the load
    target.load_state(data, with_optimizer=True)
    assert all(not g.any() for g in target.model.grads.values())
    _assert_params_equal(source, target)
    _step(source, 1, hp)
    _step(target, 1, hp)
    _assert_params_equal(source, target)

    target.load_state(data, with_optimizer=False)
    assert target.step == 0 and target.optimizer.m == {}


def test_weights_only_checkpoints() -> None:
    run = _run()
    _step(run, 0, AdamParams(learning_rate=1e-2))
    weights_only = run.save_state(include_optimizer=False)
    assert len(weights_only) < len(run.save_state(include_optimizer=True))
    with pytest.raises(UserInputError, match="^checkpoint: has no optimizer state"):
        TrainableModel.from_state(weights_only, with_optimizer=True)
    sampler_model = TrainingState.from_bytes(weights_only).lora_model()
    tokens = np.array([1, 5, 2, 7])
    np.testing.assert_array_equal(sampler_model.prompt_logprobs(tokens), run.model.prompt_logprobs(tokens))


def test_incompatible_or_corrupt_checkpoints() -> None:
    data = _run(rank=3).save_state()
    with pytest.raises(UserInputError, match="^checkpoint: incompatible"):
        _run(rank=4).load_state(data, with_optimizer=False)
    with pytest.raises(UserInputError, match="^checkpoint: optimizer 'adamw'"):
        _run("dimuon").load_state(data, with_optimizer=True)
    for garbage in (b"", b"not a zip", data[: len(data) // 2]):
        with pytest.raises(CheckpointFormatError):
            TrainableModel.from_state(garbage)
    state = TrainingState.from_bytes(data)
    bogus = dataclasses.replace(state, optimizer_state=OptimizerState(1, {"m/nope.A": np.zeros(3)}))
    with pytest.raises(CheckpointFormatError, match="optimizer slot 'm/nope.A'"):
        TrainingState.from_bytes(bogus.to_bytes())


def test_state_header_records_the_run() -> None:
    run = TrainableModel.create(
        "ckpt/base", VOCAB, LoraConfig(rank=2, seed=None, train_attn=False), rng=np.random.default_rng(0)
    )
    _step(run, 0, AdamParams())
    state = TrainingState.from_bytes(run.save_state())
    assert (state.base_model, state.vocab_size) == ("ckpt/base", VOCAB)
    assert (state.optimizer, state.step) == ("adamw", 1)
    assert state.lora_config == LoraConfig(rank=2, seed=None, train_attn=False)
    assert sorted(state.weights) == ["mlp.A", "mlp.B", "unembed.A", "unembed.B"]
    assert state.optimizer_state is not None and sorted(state.optimizer_state.slots)[0] == "m/mlp.A"
