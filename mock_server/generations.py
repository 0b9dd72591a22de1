"""Which SDK generation is calling (versions reference §0, §10).

The mock serves every SDK generation from one set of routes: old bodies parse leniently (the
contracts infer absent ``type`` tags and accept ``null`` for optional fields), ``/api/v1/forward``
and JSON forward/backward stay routed, and future results are negotiated on ``Accept``. What still
depends on the version is named here: how a request reveals its version, the generation it belongs
to, and the per-version client config (e.g. 0.22.x needs ``use_pyqwest_transport: false`` so the
legacy archive's 302 reaches the SDK instead of being followed by pyqwest).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_CLIENT_CONFIG_BY_VERSION", "client_config_for", "generation_of", "sdk_version_of"]

_USER_AGENT = re.compile(r"Tinker/Python\s+(\S+)")

# Per-version ClientConfigResponse overrides (versions §10 item 4), keyed by glob over sdk_version.
DEFAULT_CLIENT_CONFIG_BY_VERSION: dict[str, dict[str, Any]] = {"0.22.*": {"use_pyqwest_transport": False}}


def sdk_version_of(headers: Mapping[str, str]) -> str | None:
    """The calling SDK's version from ``x-sdk-version`` (0.38), ``X-Stainless-Package-Version`` or User-Agent."""
    for name in ("x-sdk-version", "x-stainless-package-version"):
        if headers.get(name):
            return headers[name].split("+", 1)[0]
    match = _USER_AGENT.search(headers.get("user-agent", ""))
    return match.group(1) if match else None


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def generation_of(version: str | None) -> str | None:
    """``0.15`` (JSON, no client config), ``0.22`` (config, pyqwest, JSON training), ``0.30`` (protobuf
    training, lazy sessions) or ``0.38``; None when the version is unknown."""
    if not version or not _numbers(version):
        return None
    numbers = _numbers(version)
    for floor, name in (((0, 38), "0.38"), ((0, 30), "0.30"), ((0, 22), "0.22")):
        if numbers >= floor:
            return name
    return "0.15"


def client_config_for(
    sdk_version: str, base: Mapping[str, Any], by_version: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The client config for one SDK version: ``base`` with every matching per-version override on top."""
    merged = dict(base)
    for pattern, overrides in by_version.items():
        if fnmatch.fnmatchcase(sdk_version, pattern):
            merged.update(overrides)
    return merged
