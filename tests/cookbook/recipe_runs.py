"""Running a tinker-cookbook recipe in a subprocess against the mock, and reading what it logged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.offline.assets import OfflineAssets

TIMEOUT = 600
# The recipes' default model; weights.build_lora_adapter needs its stand-in base weights.
COOKBOOK_MODEL = "Qwen/Qwen3.5-9B-Base"


@dataclass(frozen=True)
class RecipeRun:
    log_path: Path
    output: str
    seconds: float

    def metrics(self) -> list[dict[str, Any]]:
        lines = (self.log_path / "metrics.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    def series(self, key: str) -> list[float]:
        return [float(m[key]) for m in self.metrics() if key in m]

    def checkpoints(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.log_path / "checkpoints.jsonl").read_text().splitlines()]


def client_env(assets: OfflineAssets, mock: MockTinker) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TINKER_", "HF_", "WANDB"))}
    return {**env, **assets.env, **mock.env, "PYTHONUNBUFFERED": "1"}


def start_python(assets: OfflineAssets, mock: MockTinker, args: list[str], **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=assets.datasets,
        env=client_env(assets, mock),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        **kwargs,
    )


def run_python(assets: OfflineAssets, mock: MockTinker, args: list[str]) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, *args],
        cwd=assets.datasets,
        env=client_env(assets, mock),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=TIMEOUT,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{args[:2]} exited {done.returncode}:\n{output[-4000:]}"
    return output, time.monotonic() - started


def run_recipe(assets: OfflineAssets, mock: MockTinker, module: str, log_path: Path, *overrides: str) -> RecipeRun:
    """``python -m tinker_cookbook.recipes.<module> log_path=… <overrides>``.

    The log dir must be new: sl_basic and rl_basic prompt on stdin when it exists.
    """
    assert not log_path.exists()
    output, seconds = run_python(
        assets, mock, ["-m", f"tinker_cookbook.recipes.{module}", f"log_path={log_path}", *overrides]
    )
    print(f"{module}: {seconds:.1f} s")
    return RecipeRun(log_path, output, seconds)


def journal(mock: MockTinker) -> list[JournalEntry]:
    """Every exchange of the run (all of them: the journal is sized not to drop any)."""
    entries = mock.journal.entries()
    assert len(entries) == mock.journal.total, "the journal dropped exchanges"
    return entries


def violations(entries: list[JournalEntry]) -> list[str]:
    return [f"{e.describe()}: {v}" for e in entries for v in e.violations]


def count(entries: list[JournalEntry], endpoint: str) -> int:
    return sum(1 for e in entries if e.endpoint == endpoint and e.status == 200)


def mean(values: list[float]) -> float:
    return sum(values) / len(values)
