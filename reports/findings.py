"""Findings of a parity comparison, their domains and the severity rules.

Severity rules (applied by every comparer; :data:`SEVERITY_RULES` is the table the reports print):

* **critical** — wire-format mismatch: the port reaches an endpoint at a different path or with a
  different HTTP verb, sends a body field the SDK does not (or lacks one it sends), uses another
  encoding (JSON vs protobuf, compression) or lacks the authentication header.
* **high** — missing public surface: a public (non-deprecated) method, type, CLI command or
  endpoint the port does not have, an incompatible arity, or a missing *required* type field.
* **medium** — default or behaviour mismatch: a default value, a behavioural constant (after unit
  conversion), an optional or extra type field, an environment variable not read, a CLI option
  missing, retry/poll counts or backoff timing that differ, a semantic header missing.
* **low** — naming and cosmetics: the item exists under another name, a deprecated SDK method is
  missing, a constant could not be located, an informational header differs, or the port calls an
  endpoint the SDK never calls.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["DOMAINS", "SEVERITY_RULES", "Domain", "Evidence", "Finding", "ItemStatus", "Severity"]


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class Domain(StrEnum):
    CLIENTS = "clients"
    TYPES = "types"
    ENDPOINTS = "endpoints"
    ENV = "env"
    CLI = "cli"
    CONSTANTS = "constants"
    WIRE = "wire"

    @property
    def label(self) -> str:
        return DOMAINS[self]


DOMAINS: dict[Domain, str] = {
    Domain.CLIENTS: "Client methods",
    Domain.TYPES: "Types",
    Domain.ENDPOINTS: "Endpoints",
    Domain.ENV: "Environment variables",
    Domain.CLI: "CLI",
    Domain.CONSTANTS: "Retry & timeout defaults",
    Domain.WIRE: "Wire behaviour",
}

SEVERITY_RULES: list[tuple[Severity, str, str]] = [
    (
        Severity.CRITICAL,
        "wire-format mismatch",
        "endpoint path or verb differs; body field missing/extra on the wire; "
        "JSON vs protobuf or compression differs; authentication header missing",
    ),
    (
        Severity.HIGH,
        "missing public surface",
        "public method, type, CLI command or endpoint missing; incompatible arity; required type field missing",
    ),
    (
        Severity.MEDIUM,
        "default / behaviour mismatch",
        "default value or constant differs (unit-aware); optional or "
        "extra type field; env var not read; CLI option missing; retry/poll counts or backoff timing differ",
    ),
    (
        Severity.LOW,
        "naming / cosmetic",
        "same item under another name; deprecated SDK method missing; constant not "
        "located; informational header differs; port-only endpoint",
    ),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Frozen):
    """One side's proof: ``file:line`` (SDK files relative to site-packages, port files to its root)."""

    file: str
    line: int
    text: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class Finding(_Frozen):
    id: str  # stable across runs: "<domain>/<kind>/<subject>"
    domain: Domain
    kind: str
    severity: Severity
    subject: str
    title: str
    python: Evidence | None = None
    port: Evidence | None = None
    fix: str
    scenarios: list[str] = []  # wire findings: every scenario where the difference shows

    def scenario_summary(self, limit: int = 12) -> str:
        """``3 scenarios: a, b, c`` (the first ``limit`` named; the JSON report has them all)."""
        shown = ", ".join(self.scenarios[:limit])
        more = f" and {len(self.scenarios) - limit} more" if len(self.scenarios) > limit else ""
        return f"{len(self.scenarios)} scenario{'s' if len(self.scenarios) != 1 else ''}: {shown}{more}"

    @classmethod
    def make(
        cls,
        domain: Domain,
        kind: str,
        severity: Severity,
        subject: str,
        title: str,
        fix: str,
        python: Evidence | None = None,
        port: Evidence | None = None,
        scenarios: list[str] | None = None,
    ) -> Finding:
        return cls(
            id=f"{domain.value}/{kind}/{subject}",
            domain=domain,
            kind=kind,
            severity=severity,
            subject=subject,
            title=title,
            python=python,
            port=port,
            fix=fix,
            scenarios=scenarios or [],
        )


class ItemStatus(_Frozen):
    """One SDK item compared: the basis of completeness percentages and the feature matrix."""

    domain: Domain
    subject: str
    status: str  # "ok" | "minor" (low gaps only) | "partial" | "missing"
    python: Evidence | None = None
    port: Evidence | None = None
