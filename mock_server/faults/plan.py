"""Fault plans: declarative, seeded rules that make the mock misbehave on purpose
(protocol reference §3, §6.3, §9.3, §15.3).

A plan is a seed and an ordered list of rules. A rule says which calls it matches (endpoint,
method, path glob, ``X-Tinker-Request-Type``, session, SDK version, the n-th matching call,
a probability), how often it may fire (``after``, ``times``), an optional latency, and one action:
an HTTP status with headers and body (including the empty-bodied 400 of the Cloudflare path), a
``try_again`` with a queue state for N polls or for a duration, a ``complete_metadata`` answer, a
failed result with a category, a 410 on a future, or a transport fault (reset, empty response,
truncated body, garbage bytes). The same seed gives the same faults in the same order.

Rules are tried in order and the first that fires decides. A rule's counters (for ``after``, ``nth``,
``times``) count the calls that reach it: a call an earlier rule fired on does not count.

Plans come from YAML/JSON files or Python objects and are validated whole before any rule applies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tinker_harness.contracts.catalogue import CATALOGUE
from tinker_harness.contracts.usage_errors import UsageError, one_line, read_user_text, validation_line

__all__ = [
    "Action",
    "CompleteMetadata",
    "ExpireFuture",
    "FailFuture",
    "FaultPlan",
    "FaultPlanError",
    "FaultRule",
    "Latency",
    "Match",
    "StatusFault",
    "TransportFault",
    "TryAgain",
]

ENDPOINT_NAMES = frozenset(e.name for e in CATALOGUE)


class FaultPlanError(UsageError, ValueError):
    """A plan is invalid; the message names the file (if any), the rule and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """Which calls a rule applies to; every given field must match."""

    endpoint: str | list[str] | None = None
    method: str | None = None
    path: str | None = Field(default=None, description="glob over the request path, e.g. /api/v1/training_runs/*")
    request_type: str | list[str] | None = None
    session_id: str | None = None
    sdk_version: str | None = Field(default=None, description="glob over x-sdk-version / X-Stainless-Package-Version")
    nth: int | None = Field(default=None, ge=1, description="fire only on the n-th matching call (1-based)")
    probability: float = Field(default=1.0, ge=0.0, le=1.0)

    @field_validator("endpoint")
    @classmethod
    def _known_endpoints(cls, value: str | list[str] | None) -> str | list[str] | None:
        names = [value] if isinstance(value, str) else value or []
        unknown = sorted(set(names) - ENDPOINT_NAMES)
        if unknown:
            raise ValueError(
                f"unknown endpoint(s) {unknown}; endpoints are catalogue names such as "
                "'retrieve_future', 'asample', 'forward_backward'"
            )
        return value


class Latency(_Strict):
    """Delay before answering, in server-clock seconds: fixed, uniform or lognormal."""

    fixed: float | None = Field(default=None, ge=0)
    uniform: tuple[float, float] | None = None
    lognormal: tuple[float, float] | None = Field(default=None, description="(mu, sigma) of log seconds")

    @model_validator(mode="after")
    def _exactly_one(self) -> Latency:
        given = [k for k in ("fixed", "uniform", "lognormal") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"latency needs exactly one of fixed, uniform, lognormal (got {given or 'none'})")
        if self.uniform is not None and not 0 <= self.uniform[0] <= self.uniform[1]:
            raise ValueError("latency.uniform must be (low, high) with 0 <= low <= high")
        return self


class StatusFault(_Strict):
    """Answer with this HTTP status instead of running the handler."""

    kind: Literal["status"] = "status"
    status: int = Field(ge=100, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    empty_body: bool = Field(default=False, description="send Content-Length: 0 (the Cloudflare-reject 400)")


class TryAgain(_Strict):
    """Answer retrieve_future with ``try_again`` and a queue state."""

    kind: Literal["try_again"] = "try_again"
    queue_state: Literal["active", "paused_rate_limit", "paused_capacity"] = "active"
    reason: str | None = None
    seconds: float | None = Field(default=None, gt=0, description="keep answering try_again for this long")


class CompleteMetadata(_Strict):
    """Answer retrieve_future with ``complete_metadata`` (the client must poll again without it)."""

    kind: Literal["complete_metadata"] = "complete_metadata"
    response_payload_size: int | None = Field(default=None, ge=0)


class FailFuture(_Strict):
    """Settle the future as failed: ``{"error", "category"}`` for the client."""

    kind: Literal["fail"] = "fail"
    error: str = "injected failure"
    category: Literal["user", "server", "unknown"] = "server"


class ExpireFuture(_Strict):
    """Expire the polled future: this and later polls answer 410."""

    kind: Literal["expire"] = "expire"


class TransportFault(_Strict):
    """Break the connection instead of answering (needs a real socket)."""

    kind: Literal["transport"] = "transport"
    fault: Literal["reset", "empty_response", "truncated_body", "garbage"]


Action = Annotated[
    StatusFault | TryAgain | CompleteMetadata | FailFuture | ExpireFuture | TransportFault,
    Field(discriminator="kind"),
]
_SHORTHAND_KINDS = ("status", "try_again", "complete_metadata", "fail", "expire", "transport")


def _expand_action(raw: Any) -> Any:
    """``{"status": 410}`` / ``{"try_again": {...}}`` / ``{"transport": "reset"}`` -> ``{"kind": ...}``."""
    if not isinstance(raw, dict) or "kind" in raw:
        return raw
    kinds = sorted(k for k in raw if k in _SHORTHAND_KINDS)
    if len(kinds) > 1:
        raise ValueError(f"a rule has one action, got {len(kinds)}: {', '.join(kinds)} (split it into rules)")
    if len(raw) != 1:
        return raw
    ((kind, value),) = raw.items()
    if kind not in _SHORTHAND_KINDS:
        return raw
    if kind == "status" and not isinstance(value, dict):
        return {"kind": "status", "status": value}
    if kind == "transport" and not isinstance(value, dict):
        return {"kind": "transport", "fault": value}
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"{kind}: expected a mapping of its fields, got {value!r}")
    return {"kind": kind, **(value or {})}


class FaultRule(_Strict):
    """One rule: match, then optionally wait, then act (or pass through when there is no action)."""

    name: str | None = None
    match: Match = Match()
    after: int = Field(default=0, ge=0, description="let this many matching calls through first")
    times: int | None = Field(default=None, ge=1, description="fire at most this many times")
    latency: Latency | None = None
    action: Action | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _expand_action(value)

    @model_validator(mode="after")
    def _something_to_do(self) -> FaultRule:
        if self.action is None and self.latency is None:
            raise ValueError("a rule needs an action, a latency, or both")
        return self


class FaultPlan(_Strict):
    """A seed and rules evaluated in order; the first rule that fires decides."""

    seed: int | None = None
    rules: list[FaultRule] = Field(default_factory=list)

    @classmethod
    def parse(cls, raw: Any, source: str = "fault plan") -> FaultPlan:
        """Validate a decoded plan; ``FaultPlanError`` names the source, rule index and field."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise FaultPlanError(validation_line(exc, f"{source}: invalid fault plan")) from None

    @classmethod
    def from_file(cls, path: str | Path) -> FaultPlan:
        """Read a YAML or JSON plan; an unreadable, non-UTF-8, malformed or empty file is a ``FaultPlanError``."""
        path = Path(path)
        return cls.from_text(read_user_text(path, FaultPlanError, " fault plan"), str(path))

    @classmethod
    def from_text(cls, text: str, source: str = "fault plan") -> FaultPlan:
        """Parse YAML (JSON is YAML) text; empty text is an error, not an empty plan."""
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise FaultPlanError(f"{source}: not valid YAML/JSON: {one_line(str(exc))}") from None
        if raw is None:
            raise FaultPlanError(f"{source}: empty fault plan (write `rules: []` for a plan with no rules)")
        return cls.parse(raw, source)
