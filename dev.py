#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only python3 and pip.

    python3 dev.py serve [serve options]   # start the mock Tinker server (tinker-harness serve)
    python3 dev.py test [pytest options]   # run the whole test suite (pytest -n auto)

Creates ./.venv on first use and installs the project into it (runtime dependencies for ``serve``,
plus the test extra for ``test``); later runs reuse it until pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
COMMANDS = {"serve": "", "test": "[test]"}


def _stamp(extras: str) -> Path:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    return VENV / f".installed-{extras.strip('[]') or 'base'}-{digest}"


def ensure_environment(extras: str) -> None:
    wanted = [_stamp(extras)] + ([_stamp("[test]")] if not extras else [])
    if any(stamp.exists() for stamp in wanted):
        return
    if not PYTHON.exists():
        print(f"dev.py: creating {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(f"dev.py: installing tinker-harness{extras} into {VENV}", file=sys.stderr)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f".{extras}"], check=True, cwd=ROOT)
    _stamp(extras).touch()


def ensure_browser() -> None:
    """The HTML report test drives headless Chromium (Debian packages chromium, chromium-driver)."""
    if shutil.which("chromium") and Path("/usr/bin/chromedriver").exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("dev.py: installing chromium and chromium-driver with apt-get", file=sys.stderr)
        quiet = {"stdout": subprocess.DEVNULL, "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}}
        subprocess.run(["apt-get", "update", "-q"], check=True, **quiet)  # type: ignore[call-overload]
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"], check=True, **quiet)  # type: ignore[call-overload]
    else:
        print(
            "dev.py: headless Chromium is missing; the HTML report test needs it "
            "(apt-get install -y chromium chromium-driver)",
            file=sys.stderr,
        )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_environment(COMMANDS[command])
    if command == "test":
        ensure_browser()
    if command == "serve":
        args = [str(BIN / "tinker-harness"), "serve", *rest]
    else:
        args = [str(PYTHON), "-m", "pytest", "-n", "auto", *rest]
    os.chdir(ROOT)
    os.execv(args[0], args)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
