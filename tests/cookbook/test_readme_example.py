"""The README's pytest example, verbatim in substance: the plugin's fixtures run a recipe offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.offline.assets import OfflineAssets


def test_sl_loop_trains(tinker_offline_mock: MockTinker, tinker_offline_assets: OfflineAssets, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tinker_cookbook.recipes.sl_loop",
            f"log_path={tmp_path / 'run'}",
            "batch_size=32",
            "max_steps=4",
            "learning_rate=1e-2",
        ],
        capture_output=True,
        text=True,
        timeout=600,  # cwd and environment come from the fixtures
    )
    assert done.returncode == 0, done.stderr
    assert not [e for e in tinker_offline_mock.journal.entries() if e.violations]
    assert len(tinker_offline_mock.journal.entries(endpoint="optim_step")) == 4
