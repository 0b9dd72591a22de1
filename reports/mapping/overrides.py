"""The per-port overrides file (TOML): scope, explicit name mappings and accepted deviations.

A port may ship ``.tinker-parity.toml`` at its root (or pass ``--overrides FILE``)::

    app = "Tinkex"                                   # root namespace (default: detected)

    [scope]                                           # which SDK items the port promises
    include = ["clients:ServiceClient.*", "env:*"]    # "<domain>:<glob>"; a domain no pattern names
                                                      # is compared in full
    exclude = ["clients:*.get_telemetry"]

    [names]                                           # mappings no rule can infer
    "clients:SamplingClient.get_sampler_handle" = "Tinkex.SamplingClient.handle"
    "types:SampleRequest" = "Tinkex.Types.Sample"
    "constants:heartbeat.interval" = "Tinkex.Session.@beat_every_ms"

    [accept]                                          # finding id -> why it is fine
    "clients/arity/TrainingClient.forward_backward" = "loss_fn travels in opts"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

__all__ = ["DEFAULT_FILE", "Overrides", "OverridesError", "load_overrides"]

DEFAULT_FILE = ".tinker-parity.toml"
_DOMAINS = ("clients", "types", "endpoints", "env", "cli", "constants", "wire")


class OverridesError(ValueError):
    """The overrides file is malformed; the message names the file and the key."""


@dataclass
class Overrides:
    app: str | None = None
    include: list[str] = field(default_factory=lambda: ["*"])
    exclude: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    accept: dict[str, str] = field(default_factory=dict)
    source: str | None = None

    def in_scope(self, domain: str, subject: str) -> bool:
        """Include patterns restrict only the domains they name; exclude patterns always apply."""
        key = f"{domain}:{subject}"

        def hit(patterns: list[str]) -> bool:
            return any(p == "*" or fnmatchcase(key, p) for p in patterns)

        restricting = [p for p in self.include if p == "*" or p.split(":", 1)[0] == domain]
        return (not restricting or hit(restricting)) and not hit(self.exclude)

    def name_for(self, domain: str, subject: str) -> str | None:
        return self.names.get(f"{domain}:{subject}")


def _strings(path: Path, table: object, key: str) -> list[str]:
    if not isinstance(table, list) or not all(isinstance(v, str) for v in table):
        raise OverridesError(f"{path}: {key} must be a list of strings")
    for pattern in table:
        domain = pattern.split(":", 1)[0]
        if pattern != "*" and (":" not in pattern or domain not in _DOMAINS):
            raise OverridesError(
                f"{path}: {key}: {pattern!r} is not '<domain>:<glob>' (domains: {', '.join(_DOMAINS)})"
            )
    return list(table)


def _mapping(path: Path, table: object, key: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise OverridesError(f"{path}: [{key}] must map strings to strings")
    return {str(k): str(v) for k, v in table.items()}


def load_overrides(path: Path | None) -> Overrides:
    """Read an overrides file; None (or a missing default file) means no overrides."""
    if path is None:
        return Overrides()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OverridesError(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OverridesError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"app", "scope", "names", "accept"}
    if unknown:
        raise OverridesError(f"{path}: unknown key {sorted(unknown)[0]!r} (expected app, scope, names, accept)")
    scope = data.get("scope", {})
    if not isinstance(scope, dict) or set(scope) - {"include", "exclude"}:
        raise OverridesError(f"{path}: [scope] takes only include and exclude")
    app = data.get("app")
    if app is not None and not isinstance(app, str):
        raise OverridesError(f"{path}: app must be a string")
    return Overrides(
        app=app,
        include=_strings(path, scope.get("include", ["*"]), "scope.include"),
        exclude=_strings(path, scope.get("exclude", []), "scope.exclude"),
        names=_mapping(path, data.get("names", {}), "names"),
        accept=_mapping(path, data.get("accept", {}), "accept"),
        source=str(path),
    )
