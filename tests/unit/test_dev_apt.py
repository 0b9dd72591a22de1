"""dev.py on a machine whose package manager is busy: apt-get waits for the dpkg lock, is retried, and a
browser that still cannot be installed is one line on stderr, not a crash (the tests run anyway)."""

from __future__ import annotations

import importlib.util
import stat
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A stand-in apt-get: logs its arguments, and answers like a held dpkg lock for the first $BUSY calls.
FAKE_APT_GET = """#!/bin/sh
echo "$*" >> "$APT_LOG"
count=$(cat "$APT_COUNT" 2>/dev/null || echo 0)
echo $((count + 1)) > "$APT_COUNT"
if [ "$count" -lt "$BUSY" ]; then
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
exit 0
"""


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "apt-get"
    fake.write_text(FAKE_APT_GET)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("APT_LOG", str(tmp_path / "apt.log"))
    monkeypatch.setenv("APT_COUNT", str(tmp_path / "apt.count"))
    monkeypatch.setattr(module, "APT_LOCK_TIMEOUT_S", 7)
    return module


def _calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "apt.log").read_text().splitlines()


def test_a_lock_released_between_attempts_is_waited_for(
    dev: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUSY", "2")
    assert dev.install_browser(retry_delay_s=0) is True
    calls = _calls(tmp_path)
    assert len(calls) == 4  # update refused twice, then update and install succeed
    assert all(call.startswith("-o DPkg::Lock::Timeout=7 ") for call in calls)
    assert calls[-1].endswith("install -y chromium chromium-driver")
    assert "could not install" not in capsys.readouterr().err


def test_a_lock_that_stays_held_is_one_clear_line_and_no_crash(
    dev: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUSY", "99")
    assert dev.install_browser(retry_delay_s=0) is False
    assert len(_calls(tmp_path)) == dev.APT_ATTEMPTS  # update tried (and retried), install never attempted
    lines = [line for line in capsys.readouterr().err.splitlines() if "could not install" in line]
    assert len(lines) == 1
    assert "apt-get update exited 100: E: Could not get lock /var/lib/dpkg/lock-frontend" in lines[0]
    assert "running the tests anyway" in lines[0]
