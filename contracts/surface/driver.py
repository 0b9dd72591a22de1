"""Generate, store and load surface manifests of official SDK versions.

The introspector (:mod:`contracts.surface.sdk_introspect`) must run in the interpreter where the
wanted ``tinker`` version is installed. :func:`generate` runs the introspector in the interpreter it is given
(``scenarios.sdk_envs.interpreter_for`` picks one) by file path, and validates the JSON it prints. Stored manifests live
in ``contracts/surface/manifests/tinker-<version>.json``, rendered deterministically so that
regenerating an unchanged SDK reproduces the file byte for byte.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pydantic import ValidationError

from .model import SurfaceManifest

__all__ = [
    "MANIFEST_DIR",
    "ManifestError",
    "generate",
    "installed_version",
    "load",
    "load_file",
    "manifest_path",
    "render",
]

MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"
_INTROSPECTOR = Path(__file__).resolve().parent / "sdk_introspect"
_TIMEOUT_S = 300

# Loads the introspector package by path under a name no installed package uses, so nothing of
# this project (or its dependencies) has to be importable in the target interpreter.
_BOOTSTRAP = """
import importlib.util, sys
package = sys.argv[1]
spec = importlib.util.spec_from_file_location(
    "_tinker_harness_introspect", package + "/__init__.py", submodule_search_locations=[package])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
module.main()
"""


class ManifestError(RuntimeError):
    """A manifest could not be produced or read; the message names the file or interpreter."""


def manifest_path(version: str, directory: Path | None = None) -> Path:
    return (directory or MANIFEST_DIR) / f"tinker-{version}.json"


def installed_version(python: Path | str) -> str | None:
    """The ``tinker.__version__`` importable by ``python``, or None."""
    try:
        done = subprocess.run(
            [str(python), "-c", "import tinker; print(tinker.__version__)"],
            capture_output=True,
            text=True,
            check=False,
            timeout=_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def _validate(data: object, origin: str) -> SurfaceManifest:
    try:
        return SurfaceManifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ManifestError(f"{origin}: invalid manifest at {where}: {first['msg']}") from exc


def generate(version: str, interpreter: Path | str) -> SurfaceManifest:
    """Introspect ``tinker==version`` in ``interpreter`` (where it is installed) and return the validated manifest.

    ``scenarios.sdk_envs.interpreter_for(version)`` finds or creates such an interpreter.
    """
    try:
        done = subprocess.run(
            [str(interpreter), "-c", _BOOTSTRAP, str(_INTROSPECTOR)],
            capture_output=True,
            text=True,
            check=False,
            timeout=_TIMEOUT_S,
        )
    except OSError as exc:
        raise ManifestError(f"cannot run {interpreter}: {exc.strerror or exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise ManifestError(f"introspecting tinker with {interpreter} took over {_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise ManifestError(f"introspecting tinker with {interpreter} failed: {tail[0]}")
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"introspector output of {interpreter} is not JSON: {exc}") from exc
    manifest = _validate(data, f"introspector output of {interpreter}")
    if manifest.sdk.version != version:
        raise ManifestError(f"{interpreter} has tinker {manifest.sdk.version}, not {version}")
    return manifest


def render(manifest: SurfaceManifest) -> str:
    """The canonical text of a stored manifest (sorted keys, one-space indent, final newline)."""
    return json.dumps(manifest.model_dump(mode="json"), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load_file(path: Path) -> SurfaceManifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from exc
    return _validate(data, str(path))


def load(version: str, directory: Path | None = None) -> SurfaceManifest:
    return load_file(manifest_path(version, directory))
