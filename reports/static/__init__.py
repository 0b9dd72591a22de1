"""The static comparison of an SDK surface manifest with an extracted Elixir port surface."""

from __future__ import annotations

from tinker_harness.contracts.surface.model import SurfaceManifest
from tinker_harness.reports.elixir.model import PortSurface
from tinker_harness.reports.findings import Finding, ItemStatus
from tinker_harness.reports.mapping.names import detect_app
from tinker_harness.reports.mapping.overrides import Overrides

from .clients import compare_clients
from .common import Context
from .config import compare_cli, compare_env
from .constants import compare_constants
from .endpoints import compare_endpoints
from .types import compare_types
from .wire import compare_wire

__all__ = ["compare_static"]


def compare_static(
    manifest: SurfaceManifest, port: PortSurface, overrides: Overrides | None = None
) -> tuple[list[Finding], list[ItemStatus]]:
    """Every static gap of ``port`` against ``manifest``, and the status of each SDK item compared."""
    overrides = overrides or Overrides()
    ctx = Context(manifest, port, overrides, overrides.app or detect_app(port))
    comparers = (
        compare_wire,
        compare_clients,
        compare_types,
        compare_endpoints,
        compare_env,
        compare_cli,
        compare_constants,
    )
    for compare in comparers:
        compare(ctx)
    return ctx.finish()
