"""The public surface of official SDK versions, as versioned data.

* :mod:`contracts.surface.model` — the manifest schema (pydantic).
* :mod:`contracts.surface.sdk_introspect` — the introspector, run inside the target SDK's interpreter.
* :mod:`contracts.surface.driver` — generate / store / load ``manifests/tinker-<version>.json``.
"""

from __future__ import annotations

from .driver import ManifestError, generate, load, load_file, manifest_path, render
from .model import SurfaceManifest

__all__ = [
    "ManifestError",
    "SurfaceManifest",
    "generate",
    "load",
    "load_file",
    "manifest_path",
    "render",
]
