"""A ``conform`` run killed with SIGTERM cleans up as on Ctrl-C: exit 143, its temporary directories
removed and no adapter process left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conformance_support import REFERENCE


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (Linux /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found |= {child} | _descendants(child)
    return found


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status  # a zombie has exited; only its parent's reaping is left


def test_sigterm_mid_run_exits_143_and_leaves_nothing_behind(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    command = [sys.executable, "-m", "tinker_harness", "conform", "--jobs", "2", "--out", str(tmp_path / "out")]
    env = {**os.environ, "TMPDIR": str(temporary)}
    process = subprocess.Popen([*command, "--adapter", " ".join(REFERENCE)], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (list(temporary.iterdir()) and _descendants(process.pid)):  # scenarios are under way
        assert process.poll() is None and time.monotonic() < deadline, "conform never started its adapters"
        time.sleep(0.1)
    children = _descendants(process.pid)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert b"Traceback" not in stderr
    assert list(temporary.iterdir()) == []
    deadline = time.monotonic() + 10
    while [pid for pid in children if _running(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in children if _running(pid)] == []
