"""Findings of a parity comparison, their domains and the severity rules.

Severity rules (applied by every comparer; :data:`SEVERITY_RULES` is the table the reports print).
Wire ranks above surface, the library above the CLI:

* **critical** — wire-format mismatch: another encoding (JSON vs protobuf), path or verb; a required
  request-body key not sent; the port announcing another SDK version; the authentication header.
* **high** — missing library surface (a public method, type or endpoint), an incompatible arity, a
  request-body key the SDK always sends (non-None default) missing or defaulting otherwise, a key the
  port sends that the SDK's request type does not have.
* **medium** — default or behaviour mismatch: a constant's value (unit-aware), an optional body key
  or a response field the port does not read, null sent where the SDK omits a key, a port-only
  endpoint, protobuf results not accepted, an environment variable not read, a missing CLI command,
  retry/poll counts or backoff timing.
* **low** — naming and cosmetics: another name, a deprecated or experimental SDK method missing, a
  CLI option, a constant not located, a response-only discriminator or port-only response field, a
  header only the SDK sets, an informational header.
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
        "JSON vs protobuf, endpoint path or verb differs; required body key not sent; another SDK version "
        "declared; authentication header missing",
    ),
    (
        Severity.HIGH,
        "missing library surface",
        "public method, type or endpoint missing; incompatible arity; body key the SDK always sends missing "
        "or defaulting otherwise; extra body key",
    ),
    (
        Severity.MEDIUM,
        "default / behaviour mismatch",
        "constant differs (unit-aware); optional body key or response field missing; null where the SDK "
        "omits a key; port-only endpoint; env var not read; CLI command missing; retry/poll counts or backoff",
    ),
    (
        Severity.LOW,
        "naming / cosmetic",
        "same item under another name; deprecated or experimental SDK method missing; CLI option; constant "
        "not located; response discriminator; header only the SDK sets",
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
