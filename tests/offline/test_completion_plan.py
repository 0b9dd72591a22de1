"""The completion plan test double: scripted answers mixed into sampling, with a chance that follows training."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tinker
from sdk_support import violations
from tinker import types

from tinker_harness.mock_server.completion_plan import CompletionPlan, load_completion_plan, scripted_completion
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.model import (
    BaseWeights,
    LoraConfig,
    LoraModel,
    SamplingSettings,
    ScriptedCompletion,
    continuation_logprob,
    sample,
)
from tinker_harness.mock_server.offline.assets import OfflineAssets
from tinker_harness.mock_server.offline.datasets import gsm8k_completion_plan, offline_completion_plan
from tinker_harness.mock_server.standin_tokenizer import model_vocabulary

BASE = "Qwen/Qwen3-8B"


def _model(seed: int, base: BaseWeights) -> LoraModel:
    config = LoraConfig(rank=4, seed=seed, train_mlp=True, train_attn=True, train_unembed=True)
    return LoraModel.create(base, config, np.random.default_rng(seed))


def test_the_chance_starts_at_the_plan_probability_and_follows_the_completions_logprob() -> None:
    vocab = model_vocabulary(BASE, hub_tokenizers=True)
    base = BaseWeights.for_model(BASE, vocab.vocab_size)
    plan = CompletionPlan.model_validate(
        {"probability": 0.25, "completions": [{"prompt_contains": "2+2", "completion": "It is \\boxed{4}."}]}
    )
    prompt = np.asarray(vocab.encode("User: what is 2+2?\n\nAssistant:"), dtype=np.int64)
    fresh = _model(0, base)
    start = scripted_completion(plan, prompt, fresh, fresh, vocab, ["\n\nUser:"])
    assert start is not None and start.probability == pytest.approx(0.25)
    assert list(start.tokens) == vocab.encode("It is \\boxed{4}.") + vocab.encode("\n\nUser:")
    # Weights that moved away from the base: the chance follows the per-token logprob gain of the completion.
    tuned = _model(0, base)
    tuned.params["mlp.B"][...] = np.random.default_rng(3).normal(0.0, 0.05, tuned.params["mlp.B"].shape)
    later = scripted_completion(plan, prompt, tuned, fresh, vocab, None)
    assert later is not None and later.tokens[-1] == vocab.eos_token_id  # stop=None: the model's EOS
    gain = continuation_logprob(tuned, prompt, later.tokens) - continuation_logprob(fresh, prompt, later.tokens)
    expected = 1.0 / (1.0 + math.exp(-(math.log(0.25 / 0.75) + gain / len(later.tokens))))
    assert gain != 0.0 and later.probability == pytest.approx(expected)
    assert (
        scripted_completion(plan, np.asarray(vocab.encode("no match"), dtype=np.int64), fresh, fresh, vocab, None)
        is None
    )


def test_a_scripted_sample_carries_the_models_own_logprobs() -> None:
    vocab = model_vocabulary(BASE, hub_tokenizers=True)
    model = _model(1, BaseWeights.for_model(BASE, vocab.vocab_size))
    prompt = np.asarray(vocab.encode("User: hi\n\nAssistant:"), dtype=np.int64)
    script = tuple(vocab.encode(" Hello.<|im_end|>"))
    settings = SamplingSettings(max_tokens=30, seed=5, stop_token_ids=frozenset({script[-1]}))
    always, never = (sample(model, prompt, settings, 4, scripted=ScriptedCompletion(script, p)) for p in (1.0, 0.0))
    for row in always:
        assert tuple(row.tokens) == script and row.stop_reason == "stop"
        assert sum(row.logprobs) == pytest.approx(continuation_logprob(model, prompt, script))
    assert all(tuple(row.tokens) != script for row in never)


def _grade(tokenizer: object, tokens: list[int], answer: str) -> float:
    text = tokenizer.decode(tokens)  # type: ignore[attr-defined]
    return 1.0 if f"\\boxed{{{answer}}}" in text else 0.0


def test_policy_gradient_steps_raise_the_mean_reward(
    offline_sdk: MockTinker, tinker_offline_env: OfflineAssets
) -> None:
    plan = json.loads(tinker_offline_env.completion_plan.read_text())["completions"]
    questions = [(entry["prompt_contains"], entry["completion"].rsplit("{", 1)[1].rstrip("}.")) for entry in plan[:4]]
    training = tinker.ServiceClient().create_lora_training_client(base_model="Qwen/Qwen3.5-9B-Base", rank=8).result()
    tokenizer = training.get_tokenizer()
    rewards = []
    for step in range(8):
        sampler = training.save_weights_and_get_sampling_client().result()
        data, step_rewards = [], []
        for question, answer in questions:
            prompt = tokenizer.encode(f"User: {question}\n\nAssistant:", add_special_tokens=False)
            params = types.SamplingParams(max_tokens=40, stop=["\n\nUser:"], seed=100 * step + len(data))
            sequences = sampler.sample(types.ModelInput.from_ints(prompt), 8, params).result().sequences
            group = [_grade(tokenizer, s.tokens, answer) for s in sequences]
            step_rewards += group
            for sequence, reward in zip(sequences, group, strict=True):
                advantage = reward - sum(group) / len(group)
                n = len(prompt) - 1
                data.append(
                    types.Datum(
                        model_input=types.ModelInput.from_ints(prompt + sequence.tokens[:-1]),
                        loss_fn_inputs={
                            "target_tokens": [0] * n + sequence.tokens,
                            "logprobs": [0.0] * n + list(sequence.logprobs or []),
                            "advantages": [0.0] * n + [advantage] * len(sequence.tokens),
                        },
                    )
                )
        rewards.append(sum(step_rewards) / len(step_rewards))
        training.forward_backward(data, "importance_sampling").result()
        training.optim_step(types.AdamParams(learning_rate=0.01)).result()
    assert 0 < rewards[0] < 0.6, rewards  # about the plan's 0.25 at first
    assert sum(rewards[-3:]) / 3 > sum(rewards[:3]) / 3 + 0.15, rewards
    assert not violations(offline_sdk.journal.entries())


def test_plans_are_read_and_refused_with_one_line(tmp_path: Path) -> None:
    good = tmp_path / "plan.json"
    good.write_text(json.dumps(gsm8k_completion_plan(0.5)))
    assert load_completion_plan(good).probability == 0.5
    bad = tmp_path / "bad.yaml"
    bad.write_text("probability: 2\ncompletions: []\n")
    with pytest.raises(ValueError, match=r"bad.yaml: invalid completion plan: probability: .*; completions: "):
        load_completion_plan(bad)
    done = subprocess.run(
        [sys.executable, "-m", "tinker_harness", "serve", "--port", "0", "--completion-plan", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "invalid completion plan" in done.stderr


def test_the_question_asked_last_is_answered_not_a_few_shot_example_before_it() -> None:
    plan = CompletionPlan.model_validate(
        {"probability": 0.5, "completions": [
            {"prompt_contains": "What is 4 + 5?", "completion": "9"},
            {"prompt_contains": "What is 17 + 3?", "completion": "20"},
            {"prompt_contains": "is 17 + 3?", "completion": "shorter, ends at the same place"},
        ]}
    )  # fmt: skip
    entry = plan.entry_for("User: What is 4 + 5?\nAssistant: 9\nUser: What is 17 + 3?\nAssistant:")
    assert entry is not None and entry.completion == "20"
    only_example = plan.entry_for("User: What is 4 + 5?\nAssistant: 9\nUser: What is 6 + 1?\nAssistant:")
    assert only_example is not None and only_example.completion == "9"
    assert plan.entry_for("nothing planned here") is None


def test_the_offline_plan_answers_every_sum_of_the_arithmetic_environment(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(offline_completion_plan()))
    plan = load_completion_plan(path)
    for x, y in ((0, 0), (4, 5), (100, 100), (1, 21), (11, 2)):
        entry = plan.entry_for(f"User: What is 4 + 5?\nAssistant: 9\nUser: What is {x} + {y}?\nAssistant:")
        assert entry is not None and entry.completion == str(x + y)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(ValueError, match="deep.json: JSON nested deeper than"):
        load_completion_plan(deep)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="binary.json: not UTF-8 text"):
        load_completion_plan(binary)
