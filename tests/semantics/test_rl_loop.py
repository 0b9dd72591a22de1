"""A small RL loop on the tiny model with every built-in RL loss (semantics §1.2, §4).

Toy task: for each of six prompts a chosen token (the base model's most likely next token, read
from ``topk_sample_logprobs``) earns reward 1, anything else 0. Each iteration samples 4 one-token
completions per prompt from the current weights, computes group-mean-baseline advantages, and
takes two optimizer steps on the batch (the second slightly off-policy, so ratios leave 1). The
expected reward — the exact mean probability of the chosen tokens, read back with ``forward`` —
must rise substantially for every loss. Seeds are fixed, so the run is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tinker
from semantics_support import BASE_MODEL, RL_LOSSES, logprobs_of, rl_datum
from tinker import types

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import encode

pytestmark = pytest.mark.sdk

PROMPTS = [encode(w) for w in ("The model", "A session", "Training loss", "Sampling uses", "Every step", "The weights")]
GROUP = 4
ITERATIONS = 6


def _expected_reward(training: Any, chosen: list[int]) -> float:
    lps = logprobs_of(training, [p + [c] for p, c in zip(PROMPTS, chosen, strict=True)])
    return float(np.mean([np.exp(lp[-1]) for lp in lps]))


def _batch(sampler: Any, chosen: list[int], iteration: int, loss: str) -> tuple[list[types.Datum], float]:
    futures = [
        sampler.sample(
            types.ModelInput.from_ints(p), GROUP, types.SamplingParams(max_tokens=1, seed=1000 * iteration + j)
        )
        for j, p in enumerate(PROMPTS)
    ]
    data, rewards = [], []
    for prompt, target, future in zip(PROMPTS, chosen, futures, strict=True):
        sequences = future.result().sequences
        reward = np.asarray([float(s.tokens == [target]) for s in sequences])
        rewards.extend(reward)
        for seq, advantage in zip(sequences, reward - reward.mean(), strict=True):
            n = len(prompt)  # targets: prompt[1:] + the sampled token; only the last position is "completion"
            q, adv, mask = np.zeros(n), np.zeros(n), np.zeros(n)
            q[-1], adv[-1], mask[-1] = seq.logprobs[0], advantage, 1.0
            data.append(rl_datum(prompt + seq.tokens, q, adv, mask, loss))
    return data, float(np.mean(rewards))


@pytest.mark.parametrize("loss", RL_LOSSES)
def test_expected_reward_rises(loss: str, sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_mock(ServerConfig())
    training = tinker.ServiceClient().create_lora_training_client(base_model=BASE_MODEL, rank=8, seed=0).result()
    base = training.save_weights_and_get_sampling_client().result()
    chosen = []
    for prompt in PROMPTS:
        greedy = base.sample(
            types.ModelInput.from_ints(prompt),
            1,
            types.SamplingParams(max_tokens=1, temperature=0.0),
            topk_sample_logprobs=1,
        ).result()
        (row,) = greedy.sequences[0].topk_logprobs or []
        chosen.append(row[0][0])
    start = _expected_reward(training, chosen)
    sampled = []
    for iteration in range(ITERATIONS):
        sampler = training.save_weights_and_get_sampling_client().result()
        data, mean_reward = _batch(sampler, chosen, iteration, loss)
        sampled.append(mean_reward)
        for _ in range(2):
            training.forward_backward(data, loss)
            training.optim_step(types.AdamParams(learning_rate=0.02)).result()
    end = _expected_reward(training, chosen)
    assert start < 0.15, start
    assert end > 0.5 and end > start + 0.35, (loss, start, end)  # observed: 0.67 (ppo, gspo) .. 0.98 (is)
    assert np.mean(sampled[-2:]) > np.mean(sampled[:2]), sampled
