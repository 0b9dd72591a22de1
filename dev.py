#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only python3 and pip.

    python3 dev.py serve [serve options]   # start the mock Tinker server (tinker-harness serve)
    python3 dev.py test [pytest options]   # run the whole test suite (pytest -n auto)

Creates ./.venv on first use and installs the project into it (runtime dependencies for ``serve``,
plus the test extra for ``test``, at the versions of constraints.txt); later runs reuse it until
pyproject.toml or constraints.txt changes. A busy package manager (the dpkg lock) is waited for
($DEV_APT_LOCK_TIMEOUT seconds, default 120) and apt-get retried; if headless Chromium still cannot be
installed, ``test`` says so in one line and runs the tests anyway.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
COMMANDS = {"serve": "", "test": "[test]"}
CONSTRAINTS = ROOT / "constraints.txt"  # exact versions of the whole dependency tree


def _stamp(extras: str) -> Path:
    pins = (ROOT / "pyproject.toml").read_bytes() + CONSTRAINTS.read_bytes()
    digest = hashlib.sha256(pins).hexdigest()[:16]
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
    subprocess.run([*pip, "-c", str(CONSTRAINTS), "-e", f".{extras}"], check=True, cwd=ROOT)
    _stamp(extras).touch()


BROWSER_PACKAGES = ("chromium", "chromium-driver")
# How long apt-get waits for another package manager to release the dpkg lock, and how often it is retried.
APT_LOCK_TIMEOUT_S = int(os.environ.get("DEV_APT_LOCK_TIMEOUT", "120"))
APT_ATTEMPTS = 3


def _apt_get(*args: str, retry_delay_s: float) -> str | None:
    """Run apt-get (waiting for the dpkg lock, retried); None on success, else the last line it printed."""
    command = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_S}", "-q", *args]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    problem = None
    for attempt in range(APT_ATTEMPTS):
        if attempt:
            time.sleep(retry_delay_s * attempt)
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        if done.returncode == 0:
            return None
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        problem = f"apt-get {' '.join(args)} exited {done.returncode}: {last}"
    return problem


def install_browser(retry_delay_s: float = 10.0) -> bool:
    """apt-get install the browser packages; on failure say so in one line and return False."""
    print(
        f"dev.py: installing {' and '.join(BROWSER_PACKAGES)} with apt-get "
        f"(waiting up to {APT_LOCK_TIMEOUT_S} s for a busy package manager)",
        file=sys.stderr,
    )
    problem = _apt_get("update", retry_delay_s=retry_delay_s) or _apt_get(
        "install", "-y", *BROWSER_PACKAGES, retry_delay_s=retry_delay_s
    )
    if problem is None:
        return True
    print(
        f"dev.py: could not install headless Chromium ({problem}); running the tests anyway, "
        "the HTML report test will fail until it is installed",
        file=sys.stderr,
    )
    return False


def ensure_browser() -> None:
    """The HTML report test drives headless Chromium (Debian packages chromium, chromium-driver)."""
    if shutil.which("chromium") and Path("/usr/bin/chromedriver").exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        install_browser()
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
