"""Sampling: determinism, greedy/top-k/top-p, stop conditions and raw logprobs (semantics §4, §9 item 6)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from model_test_support import make_model

from tinker_harness.mock_server.model import LoraModel, SamplingSettings, UserInputError, sample

PROMPT = np.array([3, 1, 4, 1, 5])


def _model() -> LoraModel:
    return make_model(vocab=17, rank=4, seed=2, b_scale=0.3)


def _greedy_path(model: LoraModel, n: int) -> list[int]:
    state, out = model.start_decode(PROMPT), []
    for _ in range(n):
        token = int(np.argmax(model.next_token_logprobs(state)))
        out.append(token)
        state = model.advance(state, token)
    return out


def _letters(tokens: Sequence[int]) -> str:
    return "".join(chr(ord("a") + t) for t in tokens)


def test_same_seed_same_tokens_and_indices_differ() -> None:
    model = _model()
    settings = SamplingSettings(max_tokens=20, seed=123, eos_stops=False)
    a = sample(model, PROMPT, settings, num_samples=4)
    b = sample(model, PROMPT, settings, num_samples=4)
    assert [s.tokens for s in a] == [s.tokens for s in b]
    assert len({tuple(s.tokens) for s in a}) > 1
    # sample i depends only on (seed, i), not on num_samples
    assert sample(model, PROMPT, settings, num_samples=2)[1].tokens == a[1].tokens
    other = sample(model, PROMPT, SamplingSettings(max_tokens=20, seed=124, eos_stops=False), num_samples=1)
    assert other[0].tokens != a[0].tokens


def test_unseeded_sampling_uses_the_rng_factory() -> None:
    model = _model()
    settings = SamplingSettings(max_tokens=15, eos_stops=False)
    calls: list[int] = []

    def factory(i: int) -> np.random.Generator:
        calls.append(i)
        return np.random.default_rng([99, i])

    a = sample(model, PROMPT, settings, num_samples=3, rng_factory=factory)
    assert calls == [0, 1, 2]
    b = sample(model, PROMPT, SamplingSettings(max_tokens=15, seed=99, eos_stops=False), num_samples=3)
    assert [s.tokens for s in a] == [s.tokens for s in b]


def test_temperature_zero_and_top_k_one_are_greedy() -> None:
    model = _model()
    expected = _greedy_path(model, 12)
    for settings in (
        SamplingSettings(max_tokens=12, temperature=0.0, eos_stops=False),
        SamplingSettings(max_tokens=12, top_k=1, seed=5, eos_stops=False),
        SamplingSettings(max_tokens=12, top_p=1e-9, seed=5, eos_stops=False),
    ):
        (seq,) = sample(model, PROMPT, settings)
        assert seq.tokens == expected and seq.stop_reason == "length"


def test_top_k_restricts_each_draw_to_the_k_most_likely() -> None:
    model = _model()
    for seq in sample(model, PROMPT, SamplingSettings(max_tokens=10, top_k=3, seed=1, eos_stops=False), 5):
        state = model.start_decode(PROMPT)
        for token in seq.tokens:
            top3 = np.argsort(-model.next_token_logprobs(state), kind="stable")[:3]
            assert token in top3
            state = model.advance(state, token)


def test_logprobs_are_raw_model_logprobs_of_drawn_tokens() -> None:
    model = _model()
    settings = SamplingSettings(max_tokens=10, temperature=0.6, top_k=5, top_p=0.9, seed=3, eos_stops=False)
    for seq in sample(model, PROMPT, settings, num_samples=3):
        full = np.concatenate([PROMPT, seq.tokens])
        expected = model.prompt_logprobs(full)[len(PROMPT) :]
        np.testing.assert_allclose(seq.logprobs, expected, rtol=0, atol=1e-12)


def test_single_step_frequencies_follow_the_tempered_distribution() -> None:
    model = _model()
    raw = model.next_token_logprobs(model.start_decode(PROMPT))
    for temperature in (1.0, 0.5):
        settings = SamplingSettings(max_tokens=1, temperature=temperature, seed=7, eos_stops=False)
        drawn = [s.tokens[0] for s in sample(model, PROMPT, settings, num_samples=4000)]
        freq = np.bincount(drawn, minlength=17) / 4000
        probs = np.exp(raw / temperature - np.logaddexp.reduce(raw / temperature))
        assert np.abs(freq - probs).max() < 0.03


def test_eos_and_stop_tokens_are_included_with_reason_stop() -> None:
    model = _model()
    path = _greedy_path(model, 12)
    greedy = SamplingSettings(max_tokens=12, temperature=0.0)
    (seq,) = sample(model, PROMPT, greedy, eos_token_id=path[3])
    cut = path.index(path[3]) + 1
    assert seq.tokens == path[:cut] and seq.stop_reason == "stop"
    no_eos = SamplingSettings(max_tokens=12, temperature=0.0, eos_stops=False)
    assert sample(model, PROMPT, no_eos, eos_token_id=path[3])[0].tokens == path
    stop_ids = SamplingSettings(
        max_tokens=12, temperature=0.0, eos_stops=False, stop_token_ids=frozenset({path[2] + 17})
    )
    (seq,) = sample(model, PROMPT, stop_ids)
    assert seq.tokens == path[: path.index(path[2]) + 1] and seq.stop_reason == "stop"


def test_max_tokens_gives_length() -> None:
    model = _model()
    (seq,) = sample(model, PROMPT, SamplingSettings(max_tokens=7, seed=0, eos_stops=False))
    assert len(seq.tokens) == len(seq.logprobs) == 7 and seq.stop_reason == "length"
    (empty,) = sample(model, PROMPT, SamplingSettings(max_tokens=0, seed=0))
    assert empty.tokens == [] and empty.logprobs == [] and empty.stop_reason == "length"


def test_stop_strings_end_on_the_completing_token() -> None:
    model = _model()
    path = _greedy_path(model, 12)
    target = _letters(path[4:6])
    first = next(i for i in range(1, 13) if target in _letters(path[:i]))
    settings = SamplingSettings(max_tokens=12, temperature=0.0, eos_stops=False, stop_strings=("zzz", target))
    (seq,) = sample(model, PROMPT, settings, decode=_letters)
    assert seq.tokens == path[:first] and seq.stop_reason == "stop"
    assert target in _letters(seq.tokens) and target not in _letters(seq.tokens[:-1])
    with pytest.raises(ValueError, match="decode"):
        sample(model, PROMPT, settings)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        (SamplingSettings(max_tokens=-1), "max_tokens"),
        (SamplingSettings(max_tokens=1, temperature=-0.5), "temperature"),
        (SamplingSettings(max_tokens=1, top_k=-2), "top_k"),
        (SamplingSettings(max_tokens=1, top_p=0.0), "top_p"),
        (SamplingSettings(max_tokens=1, stop_token_ids=frozenset({-3})), "stop"),
    ],
)
def test_invalid_settings_are_user_errors(settings: SamplingSettings, key: str) -> None:
    with pytest.raises(UserInputError) as info:
        sample(_model(), PROMPT, settings)
    assert info.value.key == key


def test_empty_prompt_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="^prompt: "):
        sample(_model(), np.array([], dtype=np.int64), SamplingSettings(max_tokens=1, seed=0))
