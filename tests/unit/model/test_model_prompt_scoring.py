"""Prompt-side sampling outputs, sampled top-k and the prefix cache (semantics §4; protocol §7.2)."""

from __future__ import annotations

import numpy as np
import pytest
from model_test_support import make_model

from tinker_harness.mock_server.model import SamplingSettings, sample
from tinker_harness.mock_server.model import prompt_scoring as ps
from tinker_harness.mock_server.model.prefix_cache import PrefixCache

PROMPT = np.array([3, 1, 4, 1, 5, 9, 2, 6])


def test_prompt_logprobs_equal_training_logprobs_and_respect_last_n() -> None:
    model = make_model()
    dists = model.log_distributions(PROMPT[:-1])
    assert dists.shape == (len(PROMPT) - 1, model.vocab_size)
    np.testing.assert_allclose(np.exp(dists).sum(axis=1), 1.0)
    full = ps.prompt_logprobs(dists, PROMPT)
    assert np.isnan(full[0])
    np.testing.assert_array_equal(full[1:], model.forward(PROMPT[:-1], PROMPT[1:]).logprobs)
    np.testing.assert_array_equal(full, model.prompt_logprobs(PROMPT))
    last = ps.prompt_logprobs(dists, PROMPT, last_n=3)
    assert np.isnan(last[:-3]).all()
    np.testing.assert_array_equal(last[-3:], full[-3:])


def test_top_k_is_sorted_breaks_ties_by_id_and_pads_with_the_sentinel() -> None:
    dists = np.log(np.array([[0.1, 0.4, 0.1, 0.4], [0.25, 0.25, 0.25, 0.25]]))
    table = ps.top_k(dists, 6)
    np.testing.assert_array_equal(table.ids, [[1, 3, 0, 2, 0, 0], [0, 1, 2, 3, 0, 0]])
    np.testing.assert_allclose(table.logprobs[:, :4], np.sort(dists, axis=1)[:, ::-1])
    assert (table.logprobs[:, 4:] == ps.MASK_LOGPROB).all()
    rows = ps.prompt_top_k(make_model().log_distributions(PROMPT[:-1]), len(PROMPT), 2, last_n=2)
    assert rows.ids.shape == (len(PROMPT), 2)
    assert (rows.logprobs[: len(PROMPT) - 2] == ps.MASK_LOGPROB).all() and (rows.ids[:-2] == 0).all()
    assert (rows.logprobs[-2:] > ps.MASK_LOGPROB).all()


def test_target_logprobs_and_alternative_tokens() -> None:
    model = make_model()
    dists = model.log_distributions(PROMPT[:-1])
    ids = np.full((len(PROMPT) - 1, 2), -1)
    ids[:, 0] = PROMPT[1:]
    ids[3, 1] = 10 + model.vocab_size  # ids are reduced modulo V like everywhere else
    values = ps.target_logprobs(dists, ids)
    np.testing.assert_array_equal(values[:, 0], ps.prompt_logprobs(dists, PROMPT)[1:])
    assert values[3, 1] == dists[3, 10] and values[0, 1] == 0.0
    greedy, greedy_lps = ps.alternative_tokens(dists, 3, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(greedy, np.repeat(dists.argmax(axis=1)[:, None], 3, axis=1))
    np.testing.assert_array_equal(greedy_lps[:, 0], dists.max(axis=1))
    draws, lps = ps.alternative_tokens(dists, 4000, 1.0, np.random.default_rng(1))
    np.testing.assert_array_equal(lps, np.take_along_axis(dists, draws, axis=1))
    freq = np.mean(draws[2] == dists[2].argmax())
    assert freq == pytest.approx(np.exp(dists[2].max()), abs=0.03)  # drawn from the distribution itself
    hot, _ = ps.alternative_tokens(dists, 4000, 5.0, np.random.default_rng(1))
    assert np.mean(hot[2] == dists[2].argmax()) < freq  # higher temperature flattens the draws


def test_sampled_top_k_rows_match_each_step() -> None:
    model = make_model()
    settings = SamplingSettings(max_tokens=5, seed=3, eos_stops=False)
    (seq,) = sample(model, PROMPT, settings, topk=3)
    (plain,) = sample(model, PROMPT, settings)
    assert plain.topk is None and plain.tokens == seq.tokens
    assert seq.topk is not None and seq.topk.ids.shape == (5, 3)
    state = model.start_decode(PROMPT)
    for step, token in enumerate(seq.tokens):
        raw = model.next_token_logprobs(state)
        np.testing.assert_array_equal(seq.topk.ids[step], np.argsort(-raw, kind="stable")[:3])
        assert seq.logprobs[step] == raw[token] <= seq.topk.logprobs[step, 0]
        state = model.advance(state, token)


def test_prefix_cache_counts_the_longest_reusable_prefix() -> None:
    cache = PrefixCache(capacity=2)
    assert cache.hit_then_remember([1, 2, 3, 4], first_computed=3) == 0
    assert cache.hit_then_remember([1, 2, 3, 4], first_computed=3) == 3  # last position recomputed
    assert cache.hit_then_remember([1, 2, 3, 4, 5, 6], first_computed=5) == 4
    assert cache.hit_then_remember([1, 2, 9], first_computed=0) == 0  # every position needed
    assert cache.longest_prefix([1, 2, 3, 4, 5, 6, 7]) == 6
    cache.hit_then_remember([7, 7], first_computed=1)  # capacity 2: the oldest prompts are evicted
    assert cache.longest_prefix([1, 2, 3, 4, 5, 6]) == 2
