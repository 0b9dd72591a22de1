"""Helpers shared by the static comparers: evidence, value comparison and the per-run context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tinker_harness.contracts.surface.model import Location, SurfaceManifest
from tinker_harness.reports.elixir.model import Loc, Module, PortSurface
from tinker_harness.reports.elixir.parse import UNKNOWN, literal_source
from tinker_harness.reports.findings import Domain, Evidence, Finding, ItemStatus, Severity
from tinker_harness.reports.mapping.overrides import Overrides

__all__ = ["Context", "attribute_resolver", "elixir", "port_ev", "py_ev", "same_default", "show"]


def py_ev(location: Location, text: str = "") -> Evidence:
    return Evidence(file=location.file, line=location.line, text=text)


def port_ev(loc: Loc, text: str = "") -> Evidence:
    return Evidence(file=loc.file, line=loc.line, text=text)


def attribute_resolver(module: Module | None) -> Any:
    def resolve(name: str) -> Any:
        attribute = module.attributes.get(name) if module is not None else None
        return attribute.literal if attribute is not None else UNKNOWN

    return resolve


def port_default(source: str | None, module: Module | None) -> Any:
    return literal_source(source, attribute_resolver(module))


def same_default(python: Any, port: Any) -> bool | None:
    """True/False when both defaults are known and (dis)agree; None when either is unknown."""
    if port is UNKNOWN:
        return None
    if isinstance(python, bool) or isinstance(port, bool):
        return python is port if isinstance(python, bool) and isinstance(port, bool) else python == port
    if isinstance(python, int | float) and isinstance(port, int | float):
        return abs(float(python) - float(port)) <= 1e-9 * max(1.0, abs(float(python)))
    if isinstance(python, list) and isinstance(port, list):
        return len(python) == len(port) and all(
            same_default(a, b) is not False for a, b in zip(python, port, strict=True)
        )
    if isinstance(python, dict) and isinstance(port, dict):
        return python.keys() == port.keys() and all(same_default(python[k], port[k]) is not False for k in python)
    return bool(python == port)


def show(value: Any) -> str:
    if value is None:
        return "nil/None"
    if value is UNKNOWN:
        return "?"
    return repr(value)


def elixir(value: Any) -> str:
    """A JSON-like value written as Elixir source: ``nil``, ``false``, ``"snapshot"``, ``[1, 2]``."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(elixir(v) for v in value) + "]"
    if isinstance(value, dict):
        return "%{" + ", ".join(f"{elixir(k)} => {elixir(v)}" for k, v in value.items()) + "}"
    return repr(value)


@dataclass
class Context:
    manifest: SurfaceManifest
    port: PortSurface
    overrides: Overrides
    app: str
    findings: list[Finding] = field(default_factory=list)
    items: list[ItemStatus] = field(default_factory=list)

    def in_scope(self, domain: Domain, subject: str) -> bool:
        return self.overrides.in_scope(domain.value, subject)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def item(self, domain: Domain, subject: str, python: Evidence | None, port: Evidence | None) -> None:
        """Record an SDK item; its status is derived from the findings about it when the run ends."""
        self.items.append(ItemStatus(domain=domain, subject=subject, status="?", python=python, port=port))

    def finish(self) -> tuple[list[Finding], list[ItemStatus]]:
        kept = [f for f in self.findings if f.id not in self.overrides.accept]
        worst: dict[tuple[Domain, str], Severity] = {}
        for f in kept:
            base = f.subject.split("#", 1)[0]
            keys = [(f.domain, base)]
            if f.domain is Domain.WIRE and f.kind in ("missing-field", "extra-field", "default"):
                keys.append((Domain.TYPES, base))  # a request body's key is also a gap of its type
            for key in keys:
                if key not in worst or f.severity.rank < worst[key].rank:
                    worst[key] = f.severity
        items = []
        for item in self.items:
            severity = worst.get((item.domain, item.subject))
            if severity is not None and item.port is None:
                status = "missing"
            elif severity is None:
                status = "ok"
            else:
                status = "minor" if severity is Severity.LOW else "partial"
            items.append(item.model_copy(update={"status": status}))
        return kept, items
