"""SIGTERM stops ``tinker-harness conform`` like Ctrl-C: exit 143, no temporary directory, no adapter left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conformance_support import REFERENCE

ROOT = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


ADAPTER = " ".join(REFERENCE)


@pytest.mark.parametrize(
    "adapters",
    [["--adapter", ADAPTER], ["--adapter", ADAPTER, "--adapter", ADAPTER, "--parallel-adapters", "2"]],
    ids=["one-adapter", "parallel-adapters"],
)
def test_sigterm_mid_run_cleans_up_and_exits_143(tmp_path: Path, adapters: list[str]) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tinker_harness", "conform", *adapters]
    proc = subprocess.Popen(
        [*command, "--out", str(tmp_path / "out"), "--jobs", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        children: set[int] = set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            children |= _descendants(proc.pid)
            if any(p.name.startswith("conform-") for p in scratch.iterdir()) and children:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "conform ended before it could be interrupted"
        time.sleep(1.0)  # mid-run: a scenario is under way
        children |= _descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, stderr.decode(errors="replace")[-2000:]
    assert "Traceback" not in stderr.decode(errors="replace")
    assert list(scratch.iterdir()) == []
    time.sleep(0.5)
    assert children and not [pid for pid in children if _alive(pid)]
