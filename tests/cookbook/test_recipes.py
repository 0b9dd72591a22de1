"""tinker-cookbook 0.6.1's basic recipes, unmodified and offline: they train, and every exchange keeps the contract."""

from __future__ import annotations

import json
import time
from pathlib import Path

from recipe_runs import (
    COOKBOOK_MODEL,
    RecipeRun,
    count,
    journal,
    mean,
    run_python,
    run_recipe,
    start_python,
    violations,
)
from safetensors.numpy import load_file

from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.offline.assets import OfflineAssets

RL_OVERRIDES = ("max_tokens=48", "lora_rank=8", "learning_rate=1e-2")


def test_sl_basic_loss_falls(tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path) -> None:
    run = run_recipe(
        tinker_offline_assets, cookbook_mock, "sl_basic", tmp_path / "run", "learning_rate=1e-2", "lora_rank=8"
    )
    nll = run.series("train_mean_nll")
    assert len(nll) == 4 and nll[-1] < nll[0] - 0.5, nll  # 512 rows in batches of 128
    assert run.series("test/nll")  # the evaluator ran on the test split
    assert run.checkpoints()[-1]["name"] == "final"
    entries = journal(cookbook_mock)
    assert count(entries, "optim_step") == 4 and not violations(entries)


def test_sl_loop_loss_falls(tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path) -> None:
    overrides = ("batch_size=32", "max_steps=8", "learning_rate=1e-2", "lora_rank=8", "save_every=0")
    run = run_recipe(tinker_offline_assets, cookbook_mock, "sl_loop", tmp_path / "run", *overrides)
    nll = run.series("train_mean_nll")
    assert len(nll) == 8 and mean(nll[-3:]) < mean(nll[:3]) - 0.5, nll
    entries = journal(cookbook_mock)
    assert count(entries, "optim_step") == 8 and not violations(entries)


def test_sl_loop_resumes_after_being_stopped(
    tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path
) -> None:
    """Preempted after its first rolling checkpoint, the same command resumes from it with optimizer state."""
    log_path = tmp_path / "run"
    args = ["-m", "tinker_cookbook.recipes.sl_loop", f"log_path={log_path}", "batch_size=8", "save_every=3"]
    args += ["learning_rate=1e-2", "lora_rank=8"]
    first = start_python(tinker_offline_assets, cookbook_mock, args)
    deadline = time.monotonic() + 300
    checkpoints = log_path / "checkpoints.jsonl"
    while not (checkpoints.exists() and checkpoints.read_text().strip()):
        assert first.poll() is None and time.monotonic() < deadline, "sl_loop ended before its first checkpoint"
        time.sleep(0.02)
    first.kill()
    first.wait(timeout=60)
    assert "final" not in checkpoints.read_text()
    output, _ = run_python(tinker_offline_assets, cookbook_mock, [*args, "max_steps=9"])
    assert "Resuming from batch 3" in output
    steps = [int(m["step"]) for m in RecipeRun(log_path, output, 0.0).metrics()]
    assert steps[-6:] == [3, 4, 5, 6, 7, 8]
    entries = journal(cookbook_mock)
    loads = [e.request_body for e in entries if e.endpoint == "load_weights" and e.status == 200]
    assert loads and loads[0]["optimizer"] is True and loads[0]["path"].endswith("/weights/000003")
    assert not violations(entries)


def test_rl_loop_takes_real_steps_and_reward_rises(
    tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path
) -> None:
    overrides = ("batch_size=8", "group_size=4", "max_steps=8", "save_every=0", *RL_OVERRIDES)
    run = run_recipe(tinker_offline_assets, cookbook_mock, "rl_loop", tmp_path / "run", *overrides)
    reward = run.series("reward/total")
    assert len(reward) == 8 and mean(reward[-3:]) > mean(reward[:3]) + 0.1, reward
    entries = journal(cookbook_mock)
    fwdbwd = [e for e in entries if e.endpoint == "forward_backward" and e.status == 200]
    assert count(entries, "optim_step") >= 4 and fwdbwd
    sent = fwdbwd[0].request_body["message"]
    assert sent["loss_fn"] == "stable_reinforce" and "model_input_spans" in sent["data"][0]  # provenance journalled
    assert not violations(entries)


def test_rl_basic_takes_real_steps_and_reward_rises(
    tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path
) -> None:
    # rl_basic builds its dataset builder with batch 128 x group 16; a smaller one is given whole.
    builder = (
        "dataset_builder=tinker_cookbook.recipes.math_rl.math_env:Gsm8kDatasetBuilder",
        "dataset_builder.batch_size=8",
        "dataset_builder.group_size=4",
        f"dataset_builder.model_name_for_tokenizer={COOKBOOK_MODEL}",
        "dataset_builder.renderer_name=role_colon",
    )
    run = run_recipe(
        tinker_offline_assets, cookbook_mock, "rl_basic", tmp_path / "run", *builder, "max_steps=8", *RL_OVERRIDES
    )
    reward = run.series("env/all/reward/total")
    assert len(reward) == 8 and mean(reward[-3:]) > mean(reward[:3]) + 0.1, reward
    entries = journal(cookbook_mock)
    assert count(entries, "optim_step") == 8 and not violations(entries)


def test_dpo_from_a_saved_checkpoint(
    tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path
) -> None:
    sft = ("batch_size=32", "max_steps=2", "learning_rate=1e-2", "lora_rank=8", "save_every=0")
    start = run_recipe(tinker_offline_assets, cookbook_mock, "sl_loop", tmp_path / "sft", *sft).checkpoints()[-1]
    overrides = ("batch_size=16", "max_steps=4", "learning_rate=1e-2", "max_length=512", "dataset=hhh")
    run = run_recipe(
        tinker_offline_assets,
        cookbook_mock,
        "preference.dpo.train",
        tmp_path / "dpo",
        f"load_checkpoint_path={start['state_path']}",
        *overrides,
    )
    accuracy, loss = run.series("accuracy"), run.series("dpo_loss")
    assert len(loss) == 4 and loss[-1] < loss[0] and accuracy[-1] > accuracy[0], (loss, accuracy)
    entries = journal(cookbook_mock)
    assert any(e.endpoint == "load_weights" and e.request_body["path"] == start["state_path"] for e in entries)
    assert not violations(entries)


DOWNLOAD = """
import json, sys
from pathlib import Path
from tinker_cookbook import weights
out = weights.download(tinker_path=sys.argv[1], output_dir=sys.argv[2])
weights.build_lora_adapter(base_model=sys.argv[3], adapter_path=out, output_path=sys.argv[4])
print(json.dumps(sorted(p.name for p in Path(out).iterdir())))
"""


def test_weights_download_of_an_encrypted_export_and_build_lora_adapter(
    tinker_offline_assets: OfflineAssets, cookbook_mock: MockTinker, tmp_path: Path
) -> None:
    sft = ("batch_size=32", "max_steps=2", "learning_rate=1e-2", "lora_rank=4", "save_every=0")
    final = run_recipe(tinker_offline_assets, cookbook_mock, "sl_loop", tmp_path / "sft", *sft).checkpoints()[-1]
    adapter, peft = tmp_path / "adapter", tmp_path / "peft"
    args = ["-c", DOWNLOAD, final["state_path"], str(adapter), COOKBOOK_MODEL, str(peft)]
    output, _ = run_python(tinker_offline_assets, cookbook_mock, args)
    assert output.strip().splitlines()[-1] == '["adapter_config.json", "adapter_model.safetensors"]'

    config = json.loads((peft / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 4 and config["base_model_name_or_path"] == COOKBOOK_MODEL
    tensors = load_file(str(peft / "adapter_model.safetensors"))
    assert "base_model.model.lm_head.lora_B.weight" in tensors
    assert "base_model.model.model.language_model.layers.0.mlp.down_proj.lora_A.weight" in tensors
    entries = journal(cookbook_mock)
    (export,) = [e for e in entries if e.endpoint == "save_weights_external"]
    assert export.request_body["age_encryption_recipients"][0].startswith("age1")
    urls = [e for e in entries if e.endpoint == "external_weights_urls"]
    assert urls and all(name.endswith(".age") for name in urls[0].response_body["urls"])
    assert any(e.endpoint == "delete_checkpoint" for e in entries)  # the temporary export is cleaned up
    assert not violations(entries)
