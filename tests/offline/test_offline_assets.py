"""``tinker-harness offline-assets``: Hub-cache layout, datasets shaped like the real ones, a completion plan."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import huggingface_hub

from tinker_harness.mock_server.offline.assets import OfflineAssets, write_offline_assets
from tinker_harness.mock_server.offline.datasets import TRAIN_ROWS

MODEL = "Qwen/Qwen3-8B"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinker_harness", "offline-assets", *args], capture_output=True, text=True, timeout=120
    )


def test_the_command_writes_a_hub_cache_and_prints_the_environment(tmp_path: Path) -> None:
    done = _cli(str(tmp_path / "assets"), "--models", MODEL, "--weights", MODEL)
    assert done.returncode == 0, done.stderr
    assert f"export HF_HUB_CACHE={tmp_path / 'assets' / 'hub'}" in done.stdout and "HF_HUB_OFFLINE=1" in done.stdout
    repo = tmp_path / "assets" / "hub" / "models--Qwen--Qwen3-8B"
    revision = (repo / "refs" / "main").read_text()
    snapshot = repo / "snapshots" / revision
    names = sorted(p.name for p in snapshot.iterdir())
    assert names == ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    assert all((snapshot / n).resolve().parent == repo / "blobs" for n in names)
    assert not (tmp_path / "assets" / "hub" / "models--Qwen--Qwen3-32B").exists()
    assert _cli(str(tmp_path / "assets"), "--models", MODEL, "--weights", MODEL).returncode == 0
    assert (repo / "refs" / "main").read_text() == revision  # same files, same revision


def test_bad_models_exit_2_with_one_line(tmp_path: Path) -> None:
    for model, message in (("acme/Nope", "not a served model"), ("thinkingmachines/Inkling", "tml-renderers")):
        done = _cli(str(tmp_path), "--models", model)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr


def test_hub_clients_resolve_the_snapshot_offline(tinker_offline_env: OfflineAssets) -> None:
    folder = huggingface_hub.snapshot_download("meta-llama/Llama-3.1-8B-Instruct")
    assert {"tokenizer.json", "config.json"} <= {p.name for p in Path(folder).iterdir()}
    path = huggingface_hub.hf_hub_download(
        "thinkingmachineslabinc/meta-llama-3-instruct-tokenizer", "tokenizer_config.json"
    )
    assert json.loads(Path(path).read_text())["eos_token"] == "<|eot_id|>"


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_datasets_are_shaped_like_the_real_ones_and_the_plan_answers_gsm8k(tmp_path: Path) -> None:
    assets = write_offline_assets(tmp_path, models=[MODEL])
    chats = _jsonl(assets.datasets / "HuggingFaceH4" / "no_robots" / "data" / "train.jsonl")
    assert len(chats) == TRAIN_ROWS >= 256
    for row in chats:
        assert set(row) == {"prompt", "prompt_id", "messages", "category"}
        roles = [m["role"] for m in row["messages"]]  # type: ignore[union-attr]
        assert roles[-2:] == ["user", "assistant"] and set(roles) <= {"system", "user", "assistant"}
    maths = _jsonl(assets.datasets / "openai" / "gsm8k" / "main" / "train.jsonl")
    assert "config_name: main" in (assets.datasets / "openai" / "gsm8k" / "README.md").read_text()
    answers = {}
    for row in maths:
        question, answer = str(row["question"]), str(row["answer"])
        a, op, b, total = re.findall(r"(\d+)([+-])(\d+)=(\d+)", answer)[0]
        assert int(total) == (int(a) + int(b) if op == "+" else int(a) - int(b))
        assert answer.endswith(f"#### {total}")
        answers[question] = total
    plan = json.loads(assets.completion_plan.read_text())
    graded = {e["prompt_contains"]: e["completion"] for e in plan["completions"] if e["prompt_contains"] in answers}
    assert len(graded) == len(answers) and 0 < plan["probability"] < 1
    assert all(completion.endswith(f"\\boxed{{{answers[q]}}}.") for q, completion in graded.items())
    pairs = _jsonl(assets.datasets / "Anthropic" / "hh-rlhf" / "data" / "train.jsonl")
    assert all(str(p["chosen"]).startswith("\n\nHuman: ") and "\n\nAssistant:" in str(p["rejected"]) for p in pairs)
