"""More of tinker-cookbook 0.6.1's recipes, unmodified and offline: chat SFT, prompt distillation's training
step and math RL on its default arithmetic environment."""

from __future__ import annotations

import json
import random
from pathlib import Path

from recipe_runs import count, journal, mean, run_recipe, violations

from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.offline.assets import OfflineAssets

SMALL_SL = ("lora_rank=8", "learning_rate=1e-2", "max_length=256", "eval_every=0", "save_every=0")
LANGUAGES = {
    "en": ("the weather is mild today", "where is the train station", "my sister reads every evening"),
    "fr": ("il fait doux aujourd'hui", "où est la gare", "ma soeur lit chaque soir"),
    "es": ("hoy hace buen tiempo", "dónde está la estación", "mi hermana lee cada noche"),
}


def _language_conversations(path: Path, rows: int) -> Path:
    """What prompt distillation's data step writes: a user's text and the teacher's one-word label."""
    rng = random.Random(11)
    with path.open("w", encoding="utf-8") as out:
        for index in range(rows):
            label = rng.choice(sorted(LANGUAGES))
            text = f"{rng.choice(LANGUAGES[label])} ({index})"
            messages = [{"role": "user", "content": text}, {"role": "assistant", "content": label}]
            out.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
    return path


def test_chat_sl_on_no_robots_loss_falls(
    tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path
) -> None:
    run = run_recipe(
        tinker_offline_assets, cookbook_mock, "chat_sl.train", tmp_path / "run", "batch_size=64", *SMALL_SL
    )
    nll = run.series("train_mean_nll")
    assert len(nll) == 8 and mean(nll[-2:]) < mean(nll[:2]) - 0.5, nll  # 512 stand-in rows in batches of 64
    assert run.checkpoints()[-1]["name"] == "final"
    entries = journal(cookbook_mock)
    assert count(entries, "optim_step") == 8 and not violations(entries)


def test_prompt_distillation_trains_on_a_conversations_file(
    tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path
) -> None:
    data = _language_conversations(tmp_path / "distilled.jsonl", rows=96)
    run = run_recipe(
        tinker_offline_assets, cookbook_mock, "prompt_distillation.train", tmp_path / "run",
        f"file_path={data}", "batch_size=16", *SMALL_SL,
    )  # fmt: skip
    nll = run.series("train_mean_nll")
    assert len(nll) >= 6 and mean(nll[-2:]) < mean(nll[:2]) - 1.0, nll
    entries = journal(cookbook_mock)
    created = [e for e in entries if e.endpoint == "create_model" and e.status == 200]
    assert created and created[0].request_body["base_model"] == "Qwen/Qwen3.6-35B-A3B"  # the recipe's default
    assert not violations(entries)


def test_math_rl_on_arithmetic_takes_real_steps_and_reward_rises(
    tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path
) -> None:
    overrides = ("groups_per_batch=8", "group_size=4", "max_steps=8", "eval_every=0", "save_every=0")
    run = run_recipe(
        tinker_offline_assets, cookbook_mock, "math_rl.train", tmp_path / "run",
        *overrides, "lora_rank=8", "learning_rate=1e-2",
    )  # fmt: skip
    reward = run.series("env/all/reward/total")
    assert len(reward) == 8 and mean(reward[-3:]) > mean(reward[:3]) + 0.1, reward
    entries = journal(cookbook_mock)
    assert count(entries, "optim_step") == 8 and not violations(entries)


def test_on_policy_distillation_scores_the_students_samples_with_the_teacher(
    tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path
) -> None:
    overrides = ("groups_per_batch=8", "group_size=2", "max_tokens=24", "max_steps=4", "eval_every=0", "save_every=0")
    small = (*overrides, "lora_rank=8", "learning_rate=1e-2")
    module = "distillation.on_policy_distillation"
    run = run_recipe(tinker_offline_assets, cookbook_mock, module, tmp_path / "run", *small)
    teacher_kl = run.series("teacher_kl")
    assert len(teacher_kl) == 4 and min(teacher_kl) > 0.5, teacher_kl  # Qwen3.5-9B teaching Qwen3.5-9B-Base
    entries = journal(cookbook_mock)
    sessions = [e.request_body.get("base_model") for e in entries if e.endpoint == "create_sampling_session"]
    assert "Qwen/Qwen3.5-9B" in sessions  # the teacher samples nothing: it scores with compute_logprobs
    assert count(entries, "optim_step") == 4 and not violations(entries)
    # A teacher that is the student's own base model agrees with it token for token: the KL is exactly 0,
    # so prompt logprobs and sampled tokens line up as the recipe indexes them.
    same = run_recipe(
        tinker_offline_assets, cookbook_mock, module, tmp_path / "same", *small, "teacher_model=Qwen/Qwen3.5-9B-Base"
    )
    assert same.series("teacher_kl") == [0.0] * 4
