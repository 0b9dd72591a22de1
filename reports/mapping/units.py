"""Unit-aware comparison of behavioural constants (seconds vs milliseconds, counts, bytes).

The SDK's unit of every constant is part of its manifest entry. A port's unit is read from the
attribute or field name (``_ms``/``_millis`` → ms, ``_s``/``_sec``/``_seconds`` → s), from
``:timer.seconds(n)``-style values (always ms), and otherwise follows the Erlang/Elixir convention
that an unsuffixed time value is in milliseconds.
"""

from __future__ import annotations

import math
import re

__all__ = ["TIME_UNITS", "normalise_name", "port_unit", "same_value", "to_unit"]

TIME_UNITS = {"s": 1.0, "ms": 0.001}
_MS = re.compile(r"_(ms|millis|milliseconds|msec)$")
_S = re.compile(r"_(s|sec|secs|seconds)$")


def port_unit(name: str, sdk_unit: str, from_timer: bool = False) -> tuple[str, str]:
    """``(unit, reason)`` of a port constant named ``name`` compared with an SDK ``sdk_unit``."""
    if sdk_unit not in TIME_UNITS:
        return sdk_unit, "same unit as the SDK"
    if from_timer:
        return "ms", ":timer.* returns milliseconds"
    if _MS.search(name):
        return "ms", "name ends in a millisecond suffix"
    if _S.search(name):
        return "s", "name ends in a seconds suffix"
    return "ms", "unsuffixed Elixir time values are milliseconds by convention"


def normalise_name(name: str) -> str:
    """``@default_timeout_ms`` → ``timeout``: drop ``@``, ``default_`` and any unit suffix."""
    name = name.lstrip("@").lower()
    name = re.sub(r"^default_", "", name)
    return _S.sub("", _MS.sub("", name))


def to_unit(value: float, unit: str, target: str) -> float:
    if unit in TIME_UNITS and target in TIME_UNITS:
        return value * TIME_UNITS[unit] / TIME_UNITS[target]
    return value


def same_value(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
