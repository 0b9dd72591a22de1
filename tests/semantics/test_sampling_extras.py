"""Sampling extras through the official SDK (protocol §5.1, §7.2, §9.3; semantics §4).

Every extra is checked for shape and for consistency with the others and with training-side
logprobs: top-k rows are sorted and start at the argmax, target logprobs equal prompt logprobs of
the same tokens, alternative tokens carry their raw logprobs, ``last_n`` blanks the prefix, samples
of one request are independent but seeded, stop strings are matched on decoded text, and
``prompt_cache_hit_tokens`` counts a reused prefix once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tinker
import torch
from semantics_support import BASE_MODEL, ce_datum, logprobs_of
from tinker import types

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import decode, encode

pytestmark = pytest.mark.sdk

TEXT = "The model saved a checkpoint after every step. Training loss goes down."
K = 4


@pytest.fixture
def clients(sdk_mock: Callable[..., MockTinker]) -> tuple[Any, Any]:
    sdk_mock(ServerConfig())
    training = tinker.ServiceClient().create_lora_training_client(base_model=BASE_MODEL, rank=8, seed=2).result()
    seq = encode(TEXT)
    for _ in range(8):  # learn the text, so greedy continuations reach the "." of the sentence
        training.forward_backward([ce_datum(seq, [1.0] * (len(seq) - 1))], "cross_entropy")
        training.optim_step(types.AdamParams(learning_rate=0.05)).result()
    return training, training.save_weights_and_get_sampling_client().result()


def _pairs_ok(rows: list[list[tuple[int, float]] | None], k: int) -> None:
    for row in rows:
        assert row is not None and len(row) == k
        lps = [lp for _, lp in row]
        assert lps == sorted(lps, reverse=True)


def test_prompt_extras_agree_with_each_other_and_with_training(clients: tuple[Any, Any]) -> None:
    training, sampler = clients
    prompt = encode(TEXT)[:10]
    length = len(prompt)
    learner = logprobs_of(training, [prompt])[0]
    ids = torch.full((length - 1, 3), -1, dtype=torch.int64)
    ids[:, 0] = torch.tensor(prompt[1:])
    ids[2, 2] = 5
    ids[1, 1] = 7
    full = sampler.sample(
        types.ModelInput.from_ints(prompt),
        num_samples=1,
        sampling_params=types.SamplingParams(max_tokens=1, temperature=0.0),
        include_prompt_logprobs=True,
        topk_prompt_logprobs=K,
        target_prompt_logprobs=types.TensorData.from_torch(ids),
        prompt_alt_tokens_k=3,
    ).result()
    assert full.prompt_logprobs is not None and full.prompt_logprobs[0] is None
    np.testing.assert_allclose(np.asarray(full.prompt_logprobs[1:], np.float64), learner, atol=1e-5)
    topk = full.topk_prompt_logprobs
    assert topk is not None and len(topk) == length and topk[0] is None
    _pairs_ok(topk[1:], K)
    for i in range(1, length):  # the prompt token's logprob is <= the best one, equal if it is in the top k
        assert full.prompt_logprobs[i] <= topk[i][0][1] + 1e-6
        listed = dict(topk[i])
        if prompt[i] in listed:
            assert listed[prompt[i]] == pytest.approx(full.prompt_logprobs[i], abs=1e-6)
    target = full.target_prompt_logprobs
    assert target is not None and target.shape == [length - 1, 3] and target.sparse_crow_indices is None
    values = target.to_numpy()
    np.testing.assert_allclose(values[:, 0], np.asarray(full.prompt_logprobs[1:]), atol=1e-6)
    assert values[0, 1] == 0.0 and values[2, 2] < 0.0  # -1 cells are 0.0; named ids get a logprob
    alt = full.prompt_alt_tokens
    assert alt is not None and alt.tokens.shape == [length - 1, 3] and alt.logprobs.shape == [length - 1, 3]
    alt_ids = alt.tokens.to_numpy()
    argmax = np.asarray([row[0][0] for row in topk[1:]])
    np.testing.assert_array_equal(alt_ids, np.repeat(argmax[:, None], 3, axis=1))  # temperature 0: the argmax
    np.testing.assert_allclose(alt.logprobs.to_numpy()[:, 0], [row[0][1] for row in topk[1:]], atol=1e-6)

    # Temperature 1 alternatives (on an unseen, broad prompt): independent draws per row, each with
    # exactly the logprob target_prompt_logprobs gives the same token.
    fresh = types.ModelInput.from_ints(encode("Something else entirely, with other words"))
    drawn = sampler.sample(
        fresh, 1, types.SamplingParams(max_tokens=1, temperature=1.0, seed=4), prompt_alt_tokens_k=5
    ).result()
    assert drawn.prompt_alt_tokens is not None
    alt_ids = drawn.prompt_alt_tokens.tokens.to_numpy()
    scored = sampler.sample(
        fresh, 1, types.SamplingParams(max_tokens=1), target_prompt_logprobs=types.TensorData.from_numpy(alt_ids)
    ).result()
    assert scored.target_prompt_logprobs is not None
    np.testing.assert_allclose(
        drawn.prompt_alt_tokens.logprobs.to_numpy(), scored.target_prompt_logprobs.to_numpy(), atol=1e-6
    )
    assert sum(len(set(row)) > 1 for row in alt_ids.tolist()) >= len(alt_ids) // 2

    # Sparse request -> sparse answer with the same layout and the same values.
    sparse_ids = torch.full((length - 1, 2), -1, dtype=torch.int64)
    sparse_ids[length - 2, 1] = prompt[-1]
    sparse_ids[1, 0] = 7
    sparse = sampler.sample(
        types.ModelInput.from_ints(prompt),
        num_samples=1,
        sampling_params=types.SamplingParams(max_tokens=1),
        target_prompt_logprobs=types.TensorData.from_torch_sparse(sparse_ids, pad_value=-1),
    ).result()
    assert sparse.target_prompt_logprobs is not None
    assert sparse.target_prompt_logprobs.sparse_crow_indices is not None
    assert sparse.target_prompt_logprobs.sparse_col_indices == [0, 1]
    dense_values = sparse.target_prompt_logprobs.to_numpy()
    assert dense_values[length - 2, 1] == pytest.approx(full.prompt_logprobs[-1], abs=1e-6)
    assert dense_values[1, 0] == pytest.approx(values[1, 1], abs=1e-6)
    assert np.count_nonzero(dense_values) == 2

    # last_n: only the suffix is scored (prompt logprobs and top-k rows), values unchanged.
    last = sampler.compute_logprobs(types.ModelInput.from_ints(prompt), prompt_logprobs_last_n=3).result()
    assert last[: length - 3] == [None] * (length - 3)
    np.testing.assert_allclose(last[length - 3 :], full.prompt_logprobs[length - 3 :], atol=1e-7)
    suffix = sampler.sample(
        types.ModelInput.from_ints(prompt),
        num_samples=1,
        sampling_params=types.SamplingParams(max_tokens=1),
        include_prompt_logprobs=True,
        topk_prompt_logprobs=2,
        prompt_logprobs_last_n=2,
    ).result()
    assert suffix.topk_prompt_logprobs is not None
    assert suffix.topk_prompt_logprobs[: length - 2] == [None] * (length - 2)
    assert [r[0] for r in suffix.topk_prompt_logprobs[length - 2 :]] == [r[0] for r in topk[length - 2 :]]
    with pytest.raises(tinker.RequestFailedError, match="prompt_logprobs_last_n") as info:
        sampler.compute_logprobs(types.ModelInput.from_ints(prompt), prompt_logprobs_last_n=length).result()
    assert info.value.category == "user"


def test_sampled_topk_num_samples_and_stop_strings(clients: tuple[Any, Any]) -> None:
    _, sampler = clients
    prompt = types.ModelInput.from_ints(encode("The model saved"))
    greedy = sampler.sample(
        prompt, 1, types.SamplingParams(max_tokens=6, temperature=0.0, stop=[]), topk_sample_logprobs=K
    ).result()
    (seq,) = greedy.sequences
    assert seq.topk_logprobs is not None and len(seq.topk_logprobs) == len(seq.tokens) == 6
    _pairs_ok(seq.topk_logprobs, K)
    assert [row[0][0] for row in seq.topk_logprobs] == seq.tokens  # greedy picks the first column
    np.testing.assert_allclose([row[0][1] for row in seq.topk_logprobs], seq.logprobs, atol=1e-6)

    params = types.SamplingParams(max_tokens=8, temperature=1.0, seed=21, stop=[])
    four = sampler.sample(prompt, 4, params, topk_sample_logprobs=2).result()
    again = sampler.sample(prompt, 4, params).result()
    one = sampler.sample(prompt, 1, params).result()
    assert [s.tokens for s in four.sequences] == [s.tokens for s in again.sequences]  # seeded
    assert len({tuple(s.tokens) for s in four.sequences}) > 1  # but the samples are independent
    assert one.sequences[0].tokens == four.sequences[0].tokens  # sample i uses stream (seed, i)
    for s in four.sequences:
        assert s.topk_logprobs is not None
        for token, lp, row in zip(s.tokens, s.logprobs, s.topk_logprobs, strict=True):
            assert lp <= row[0][1] + 1e-6 and (token != row[0][0] or lp == pytest.approx(row[0][1], abs=1e-6))

    stopped = sampler.sample(prompt, 2, types.SamplingParams(max_tokens=30, temperature=0.0, stop=["."])).result()
    for s in stopped.sequences:
        assert s.stop_reason == "stop"
        assert "." in decode(s.tokens) and "." not in decode(s.tokens[:-1]), decode(s.tokens)
    never = sampler.sample(prompt, 1, types.SamplingParams(max_tokens=5, temperature=0.0, stop=["§"])).result()
    assert never.sequences[0].stop_reason == "length" and len(never.sequences[0].tokens) == 5


def test_prompt_cache_hits_count_reused_prefixes_once(clients: tuple[Any, Any]) -> None:
    _, sampler = clients
    context = encode(TEXT)
    params = types.SamplingParams(max_tokens=2, seed=1)
    first = sampler.sample(types.ModelInput.from_ints(context), 4, params).result()
    assert first.prompt_cache_hit_tokens == 0
    repeat = sampler.sample(types.ModelInput.from_ints(context), 4, params).result()
    assert repeat.prompt_cache_hit_tokens == len(context) - 1  # once, not x4; the last token is recomputed
    longer = sampler.sample(types.ModelInput.from_ints(context + encode(" And more")), 1, params).result()
    assert longer.prompt_cache_hit_tokens == len(context)
    other = sampler.sample(types.ModelInput.from_ints(encode("Something else entirely")), 1, params).result()
    assert other.prompt_cache_hit_tokens < 3
    completion = encode(" Sampling is fast.")
    scored = sampler.sample(
        types.ModelInput.from_ints(context + completion),
        1,
        types.SamplingParams(max_tokens=1),
        include_prompt_logprobs=True,
        prompt_logprobs_last_n=len(completion),
    ).result()
    assert scored.prompt_cache_hit_tokens == len(context) - 1  # the scored suffix needs the last context position
    full = sampler.sample(
        types.ModelInput.from_ints(context + completion), 1, types.SamplingParams(max_tokens=1), True
    ).result()
    assert full.prompt_cache_hit_tokens == 0  # every position is scored: nothing can come from the cache
