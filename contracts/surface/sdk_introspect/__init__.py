"""Introspect the installed official ``tinker`` SDK and print its surface manifest as JSON.

This package runs *inside the target SDK's interpreter* (each SDK version lives in its own
virtualenv), so it uses only the standard library and the installed ``tinker`` (plus ``click``
and ``pydantic``, which every SDK version depends on). The driver,
:mod:`contracts.surface.driver`, loads it by file path under an unambiguous module name and
validates its output into :class:`contracts.surface.model.SurfaceManifest`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["introspect", "main"]

GENERATOR = "contracts.surface.sdk_introspect"


def introspect() -> dict[str, Any]:
    import tinker

    from . import cli, clients, constants, endpoints, environ, models, wire
    from ._common import SourceIndex

    index = SourceIndex.build()
    client_list = clients.collect(index)
    notes: list[str] = []
    return {
        "schema_version": 1,
        "sdk": {"name": "tinker", "version": tinker.__version__},
        "generator": GENERATOR,
        "clients": client_list,
        "types": models.collect(index),
        "endpoints": endpoints.collect_all(index, client_list),
        "env_vars": environ.collect(index),
        "cli": cli.collect(notes),
        "constants": constants.collect(index, notes),
        "wire": wire.collect(index),
        "notes": sorted(notes),
    }


def main() -> None:
    json.dump(introspect(), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
