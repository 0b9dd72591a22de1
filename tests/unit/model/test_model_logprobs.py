"""Forward pass, prompt logprobs, incremental decoding, base and LoRA definitions (semantics §2, §4, §9)."""

from __future__ import annotations

import numpy as np
import pytest
from model_test_support import make_model

from tinker_harness.mock_server.model import BaseWeights, LoraConfig, LoraModel, LoraWeights, UserInputError
from tinker_harness.mock_server.model.base_weights import seed_for_name


def _reference_log_softmax(row: np.ndarray) -> np.ndarray:
    peak = float(row.max())
    result: np.ndarray = row - peak - np.log(np.exp(row - peak).sum())
    return result


def test_prompt_logprobs_equal_forward_on_shifted_sequence() -> None:
    model = make_model(vocab=13, rank=4, seed=3)
    tokens = np.random.default_rng(0).integers(0, 13, size=9)
    prompt_lp = model.prompt_logprobs(tokens)
    assert prompt_lp.shape == (9,)
    assert np.isnan(prompt_lp[0])
    expected = model.forward(tokens[:-1], tokens[1:]).logprobs
    np.testing.assert_allclose(prompt_lp[1:], expected, rtol=0, atol=1e-12)


def test_prompt_logprobs_of_single_token_is_nan_only() -> None:
    lp = make_model().prompt_logprobs(np.array([4]))
    assert lp.shape == (1,) and np.isnan(lp[0])


def test_incremental_decoding_matches_batched_forward() -> None:
    model = make_model(vocab=13, rank=4, seed=3)
    tokens = np.random.default_rng(1).integers(0, 13, size=8)
    state = model.start_decode(tokens[:1])
    for i in range(1, len(tokens)):
        step_lp = model.next_token_logprobs(state)
        batched = model.forward(tokens[:i], np.arange(13)[None, :].repeat(i, axis=0)).logprobs[-1]
        np.testing.assert_allclose(step_lp, batched, rtol=0, atol=1e-12)
        state = model.advance(state, int(tokens[i]))
    assert state.count == len(tokens) and state.last_token == tokens[-1]


def test_fresh_model_equals_base_bigram() -> None:
    base = BaseWeights.for_model("fresh-base", 10)
    model = LoraModel.create(base, LoraConfig(rank=4, seed=9))
    assert all(not model.params[k].any() for k in model.params if k.endswith(".B"))
    tokens, targets = np.array([3, 1, 4, 1, 5]), np.array([[1, 2], [4, 0], [1, 9], [5, 5], [9, 3]])
    lp = model.forward(tokens, targets).logprobs
    for t, x in enumerate(tokens):
        expected = _reference_log_softmax(base.bigram[x])[targets[t]]
        np.testing.assert_allclose(lp[t], expected, rtol=0, atol=1e-12)


def test_targets_with_k_columns_gather_each_column() -> None:
    model = make_model()
    tokens, targets = np.array([1, 2, 3]), np.array([[0, 5], [6, 6], [2, 10]])
    both = model.forward(tokens, targets).logprobs
    assert both.shape == (3, 2)
    for k in range(2):
        np.testing.assert_array_equal(both[:, k], model.forward(tokens, targets[:, k]).logprobs)


def test_ids_at_or_above_vocab_map_modulo_v() -> None:
    model = make_model(vocab=11)
    tokens, targets = np.array([1, 2, 3, 4]), np.array([2, 3, 4, 5])
    plain = model.forward(tokens, targets).logprobs
    shifted = model.forward(tokens + 11 * 7, targets + 11 * 1000).logprobs
    np.testing.assert_array_equal(plain, shifted)


@pytest.mark.parametrize(
    ("tokens", "targets", "key"), [([1, -2], [1, 2], "model_input"), ([1, 2], [1, -1], "target_tokens")]
)
def test_negative_ids_are_user_errors(tokens: list[int], targets: list[int], key: str) -> None:
    with pytest.raises(UserInputError, match=f"^{key}: .*non-negative") as info:
        make_model().forward(np.array(tokens), np.array(targets))
    assert info.value.key == key


def test_base_weights_are_deterministic_cached_and_read_only() -> None:
    a = BaseWeights.for_model("Qwen/Qwen3-8B", 64)
    assert BaseWeights.for_model("Qwen/Qwen3-8B", 64) is a
    assert a.bigram.shape == (64, 64) and a.embedding.shape == (64, 32)
    np.testing.assert_allclose(np.linalg.norm(a.embedding, axis=1), 1.0, rtol=1e-12)
    assert 1.8 < a.bigram.std() < 2.2
    with pytest.raises(ValueError):
        a.bigram[0, 0] = 1.0
    with pytest.raises(ValueError):
        a.embedding[0, 0] = 1.0
    expected = np.random.default_rng(seed_for_name("Qwen/Qwen3-8B")).normal(0.0, 2.0, size=(64, 64))
    np.testing.assert_array_equal(a.bigram, expected)
    assert not np.array_equal(BaseWeights.for_model("other", 64).bigram, a.bigram)


def test_lora_init_uses_seed_or_generator() -> None:
    base = BaseWeights.for_model("init", 9)
    one = LoraModel.create(base, LoraConfig(rank=2, seed=5))
    two = LoraModel.create(base, LoraConfig(rank=2, seed=5))
    np.testing.assert_array_equal(one.params["mlp.A"], two.params["mlp.A"])
    assert one.params["unembed.A"].shape == (32, 2) and one.params["attn.B"].shape == (2, 9)
    with pytest.raises(ValueError, match="Generator"):
        LoraModel.create(base, LoraConfig(rank=2))
    a = LoraModel.create(base, LoraConfig(rank=2), np.random.default_rng(1))
    b = LoraModel.create(base, LoraConfig(rank=2), np.random.default_rng(2))
    assert not np.array_equal(a.params["attn.A"], b.params["attn.A"])


def test_lora_config_needs_a_group_and_positive_rank() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LoraConfig(train_mlp=False, train_attn=False, train_unembed=False)
    with pytest.raises(ValueError, match="rank"):
        LoraConfig(rank=0)
    assert LoraConfig(rank=8, train_attn=False).groups == ("mlp", "unembed")
    assert LoraConfig(rank=8).scale == 4.0


def test_snapshot_is_deep_and_weights_roundtrip_npz() -> None:
    model = make_model()
    snap = model.snapshot()
    model.params["mlp.B"][0, 0] += 1.0
    assert snap["mlp.B"][0, 0] != model.params["mlp.B"][0, 0]
    restored = LoraWeights.from_npz_bytes(snap.to_npz_bytes())
    assert sorted(restored) == sorted(snap)
    for key in snap:
        np.testing.assert_array_equal(restored[key], snap[key])
    model.load(restored)
    np.testing.assert_array_equal(model.params["mlp.B"], snap["mlp.B"])
    with pytest.raises(ValueError, match="names"):
        model.load({"mlp.A": snap["mlp.A"]})
