"""The official SDK's wheel of any version, unpacked into a cache, and its manifest read from it.

``pip download tinker==X --no-deps`` fetches the wheel (a few hundred kB) into
``$TINKER_HARNESS_WHEELS`` (default ``~/.cache/tinker-harness/wheels``); it is unpacked beside it
once. The introspector then runs in *this* interpreter with the unpacked package first on
``PYTHONPATH`` (its dependencies, pydantic, httpx and click, come from here), which reads every
release from 0.15.0 to 0.38.0 without building a virtual environment per version. A file lock
makes concurrent downloads of one version safe.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from .driver import _BOOTSTRAP, _INTROSPECTOR, ManifestError, _validate
from .model import SurfaceManifest

__all__ = ["default_cache", "manifest_from_wheel", "unpacked_wheel"]

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_TIMEOUT_S = 300


def default_cache() -> Path:
    configured = os.environ.get("TINKER_HARNESS_WHEELS")
    return Path(configured) if configured else Path.home() / ".cache" / "tinker-harness" / "wheels"


def unpacked_wheel(version: str, cache: Path | None = None) -> Path:
    """A directory holding the ``tinker`` package of ``tinker==version`` (downloaded if needed)."""
    if not _VERSION.match(version):
        raise ManifestError(f"not a release version: {version!r}")
    root = cache or default_cache()
    target = root / f"tinker-{version}"
    stamp = target / ".unpacked"
    if stamp.exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with (root / f".tinker-{version}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return target
        wheels = sorted(root.glob(f"tinker-{version}-*.whl"))
        if not wheels:
            command = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check"]
            command += ["--no-deps", "--only-binary", ":all:", "-d", str(root), f"tinker=={version}"]
            done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=_TIMEOUT_S)
            wheels = sorted(root.glob(f"tinker-{version}-*.whl"))
            if done.returncode != 0 or not wheels:
                tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                raise ManifestError(f"pip download tinker=={version} failed: {tail}")
        with zipfile.ZipFile(wheels[0]) as archive:
            archive.extractall(target)
        stamp.write_text(wheels[0].name + "\n")
    return target


def manifest_from_wheel(version: str, cache: Path | None = None) -> SurfaceManifest:
    """The surface manifest of ``tinker==version``, introspected from its unpacked wheel."""
    source = unpacked_wheel(version, cache)
    env = {**os.environ, "PYTHONPATH": str(source), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONHOME", None)
    done = subprocess.run(
        [sys.executable, "-c", _BOOTSTRAP, str(_INTROSPECTOR)],
        capture_output=True,
        text=True,
        check=False,
        timeout=_TIMEOUT_S,
        env=env,
        cwd=str(source),
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ManifestError(f"introspecting the wheel of tinker=={version} failed: {tail}")
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"introspector output for tinker=={version} is not JSON: {exc}") from exc
    manifest = _validate(data, f"introspector output for tinker=={version}")
    if manifest.sdk.version != version:
        raise ManifestError(f"the wheel of tinker=={version} introspected as {manifest.sdk.version}")
    return manifest
