"""One virtual environment per official SDK version (``tinker==X`` from PyPI), created on demand.

Older SDK generations cannot share a process (or even an environment) with the newest one, so
each version gets ``<root>/tinker-<version>/`` with its own interpreter. Creation is idempotent
and safe under pytest-xdist: a file lock serialises concurrent creators, and a stamp file marks a
finished install. The root defaults to ``$TINKER_HARNESS_SDK_ENVS`` or ``./.sdk-envs``.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["SdkEnvError", "default_root", "ensure_sdk_env", "ensure_sdk_envs", "interpreter_for", "sdk_python"]

_VERSION = re.compile(r"^\d+\.\d+\.\d+([a-z0-9.+-]*)?$")


class SdkEnvError(RuntimeError):
    """An SDK environment could not be created; the message includes pip's output."""


def default_root() -> Path:
    return Path(os.environ.get("TINKER_HARNESS_SDK_ENVS", ".sdk-envs")).resolve()


def sdk_python(version: str, root: Path | None = None) -> Path:
    """Where the interpreter of ``tinker==version`` lives (whether or not it exists yet)."""
    return (root or default_root()) / f"tinker-{version}" / "bin" / "python"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_sdk_env(version: str, root: Path | None = None, extra_packages: tuple[str, ...] = ()) -> Path:
    """The interpreter of an environment with ``tinker==version`` installed; creates it if needed."""
    if not _VERSION.match(version):
        raise SdkEnvError(f"not a release version: {version!r}")
    env_dir = (root or default_root()) / f"tinker-{version}"
    stamp = env_dir / ".installed"
    python = env_dir / "bin" / "python"
    if stamp.exists():
        return python
    with _locked(env_dir.parent / f".tinker-{version}.lock"):
        if stamp.exists():
            return python
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        command = [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            f"tinker=={version}",
            *extra_packages,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SdkEnvError(f"installing tinker=={version} failed:\n{done.stdout}\n{done.stderr}")
        stamp.write_text(f"tinker=={version}\n")
    return python


def interpreter_for(version: str, python: Path | str | None = None) -> Path:
    """An interpreter with ``tinker==version``: ``python`` if given, this one if its tinker matches, else its venv."""
    if python is not None:
        return Path(python)
    try:
        import tinker

        if tinker.__version__ == version:
            return Path(sys.executable)
    except ImportError:
        pass
    return ensure_sdk_env(version)


def ensure_sdk_envs(versions: list[str], root: Path | None = None, workers: int = 3) -> list[Path]:
    """:func:`ensure_sdk_env` for several versions at once (pip downloads overlap; file-locked)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda version: ensure_sdk_env(version, root), versions))


if __name__ == "__main__":  # python -m tinker_harness.scenarios.sdk_envs 0.15.0 0.22.0 ... (built in parallel)
    for python in ensure_sdk_envs(sys.argv[1:]):
        print(python)
