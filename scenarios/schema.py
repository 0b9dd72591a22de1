"""The schema of a scenario file (pydantic): suite, scenarios, setup, steps and wire expectations.

A catalog file (``scenarios/catalog/<area>.yaml``) holds one suite::

    suite: Futures polling
    scenarios:
      - id: futures/poll/try-again-then-success      # kebab-case, '/' hierarchy
        purpose: One line saying what is checked.
        protocol: ["§6.2", "§15.3:429/retrieve_future"]   # sections; §16.N = item N of §16
        requires: [training, sdk>=0.22]              # adapter capabilities / SDK generation
        setup: {clock: real, server: {...}, faults: [...]}
        steps: [...]                                 # scenarios.steps
        wire: [...]                                  # checks over the journal (scenarios.wire)

``protocol`` entries cite ``docs/protocol.md``: ``§6.3``; ``§16.4`` for item 4 of the §16
checklist; ``§15.3:<row>[/<column>]`` for a cell of the status-code cheat sheet, rows
``400-empty 400 4xx 402 408 409 410 429 5xx``, columns ``submit retrieve_future heartbeat asample``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from tinker_harness.contracts.catalogue import CATALOGUE
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.faults.plan import FaultRule
from tinker_harness.scenarios.matchers import validate_spec
from tinker_harness.scenarios.protocol import CAPABILITIES, version_tuple
from tinker_harness.scenarios.steps import NAME_PATTERN, AnyStep, Await, Step, WaitFor

__all__ = [
    "ID_PATTERN",
    "STATUS_ROWS",
    "STATUS_COLUMNS",
    "Gaps",
    "Requirement",
    "Scenario",
    "Select",
    "Setup",
    "Suite",
    "WireCheck",
    "parse_protocol_ref",
    "parse_requirement",
]

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)+$"
STATUS_ROWS = ("400-empty", "400", "4xx", "402", "408", "409", "410", "429", "5xx")
STATUS_COLUMNS = ("submit", "retrieve_future", "heartbeat", "asample")
_REF = re.compile(r"^§(\d+(?:\.\d+)*)(?::([0-9a-z-]+)(?:/([a-z_]+))?)?$")
_REQUIREMENT = re.compile(r"^sdk(>=|<)(\d+\.\d+(?:\.\d+)?)$")
ENDPOINTS = frozenset(e.name for e in CATALOGUE)
_FIELD_ROOTS = ("body", "response", "headers", "response_headers")
_FIELD_NAMES = ("status", "fault", "request_type", "endpoint", "method", "path", "session_id")


def parse_protocol_ref(ref: str) -> tuple[str, str | None, str | None]:
    """``"§15.3:429/asample"`` → ``("15.3", "429", "asample")``; ValueError when malformed."""
    match = _REF.match(ref)
    if match is None:
        raise ValueError(f"{ref!r} is not a protocol reference such as '§6.3', '§16.4' or '§15.3:429/asample'")
    section, row, column = match.groups()
    if row is not None and section != "15.3":
        raise ValueError(f"{ref!r}: only §15.3 has rows (':<row>')")
    if row is not None and row not in STATUS_ROWS:
        raise ValueError(f"{ref!r}: unknown §15.3 row {row!r}; rows: {list(STATUS_ROWS)}")
    if column is not None and column not in STATUS_COLUMNS:
        raise ValueError(f"{ref!r}: unknown §15.3 column {column!r}; columns: {list(STATUS_COLUMNS)}")
    return section, row, column


class Requirement(BaseModel):
    """A capability name, or an SDK-generation bound on the adapter's ``sdk_protocol``."""

    model_config = ConfigDict(frozen=True)

    text: str
    capability: str | None = None
    op: Literal[">=", "<"] | None = None
    version: tuple[int, int, int] | None = None

    def satisfied_by(self, capabilities: set[str], sdk_protocol: str) -> bool:
        if self.capability is not None:
            return self.capability in capabilities
        assert self.op is not None and self.version is not None
        have = version_tuple(sdk_protocol)
        return have >= self.version if self.op == ">=" else have < self.version


def parse_requirement(text: str) -> Requirement:
    if text in CAPABILITIES:
        return Requirement(text=text, capability=text)
    match = _REQUIREMENT.match(text)
    if match is None:
        raise ValueError(f"{text!r} is neither a capability {sorted(CAPABILITIES)} nor a bound such as 'sdk>=0.30'")
    op: Literal[">=", "<"] = ">=" if match.group(1) == ">=" else "<"
    return Requirement(text=text, op=op, version=version_tuple(match.group(2)))


def _protocol_ref(ref: str) -> str:
    parse_protocol_ref(ref)
    return ref


def _requirement(text: str) -> str:
    parse_requirement(text)
    return text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _known_endpoints(value: str | list[str] | None) -> str | list[str] | None:
    names = [value] if isinstance(value, str) else value or []
    unknown = sorted(set(names) - ENDPOINTS)
    if unknown:
        raise ValueError(f"unknown endpoint(s) {unknown}; endpoints are catalogue names such as 'optim_step'")
    return value


class Setup(_Strict):
    """The mock server a scenario runs against: its clock, configuration flags and fault plan."""

    clock: Literal["real", "frozen"] = "real"
    server: ServerConfig = Field(default_factory=ServerConfig)
    faults: list[FaultRule] = Field(default_factory=list)
    fault_seed: int = 0


class Select(_Strict):
    """Which journal entries a wire check looks at (all given criteria must hold)."""

    endpoint: str | list[str] | None = None
    request_type: str | list[str] | None = None
    status: int | list[int] | None = None
    method: str | None = None
    fault: bool | None = None
    during: str | None = Field(default=None, pattern=NAME_PATTERN, description="only while this step ran")
    after: str | None = Field(default=None, pattern=NAME_PATTERN, description="only after this step answered")

    @field_validator("endpoint")
    @classmethod
    def _endpoints(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _known_endpoints(value)


class Gaps(_Strict):
    """Seconds between consecutive selected exchanges (``from``: also from the first ``from`` exchange)."""

    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)
    from_: str | None = Field(default=None, alias="from")

    @field_validator("from_")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        _known_endpoints(value)
        return value


class CountRange(_Strict):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class WireCheck(_Strict):
    """One expectation on the journal: a selection with count/statuses/fields/gaps, or an ordering."""

    select: Select | None = None
    order: list[str] | None = None
    first: list[str] | None = None
    count: int | CountRange | None = None
    statuses: list[int] | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    gaps: Gaps | None = None
    note: str | None = None

    @field_validator("order", "first")
    @classmethod
    def _endpoints(cls, value: list[str] | None) -> list[str] | None:
        _known_endpoints(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> WireCheck:
        kinds = [k for k in ("select", "order", "first") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a wire check has exactly one of select, order, first (got {kinds or 'none'})")
        if self.select is None and (self.count is not None or self.statuses or self.fields or self.gaps):
            raise ValueError("count, statuses, fields and gaps apply to a 'select' check only")
        for path, spec in self.fields.items():
            root = path.split(".", 1)[0]
            if not (root in _FIELD_ROOTS and "." in path) and path not in _FIELD_NAMES:
                raise ValueError(
                    f"fields: {path!r} is not a field path; use body.<key>, response.<key>, headers.<name>, "
                    f"response_headers.<name> or one of {list(_FIELD_NAMES)}"
                )
            validate_spec(spec, f"fields.{path}", aggregates=True)
        return self


class Scenario(_Strict):
    """One conformance scenario."""

    id: str = Field(pattern=ID_PATTERN)
    purpose: str = Field(min_length=10, max_length=240, pattern=r"^[^\n]+$")
    protocol: list[Annotated[str, AfterValidator(_protocol_ref)]] = Field(min_length=1)
    requires: list[Annotated[str, AfterValidator(_requirement)]] = Field(default_factory=list)
    setup: Setup = Field(default_factory=Setup)
    steps: list[Step] = Field(min_length=1)
    wire: list[WireCheck] = Field(default_factory=list)
    allow_request_violations: bool = False
    timeout: float = Field(default=90.0, gt=0, le=600)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        names: set[str] = set()
        for index, step in enumerate(self.steps):
            _check_refs(step, names, index)
            if isinstance(step, Await) and step.args.ref not in names:
                raise ValueError(f"steps.{index}.args.ref: {step.args.ref!r} is not the name of an earlier step")
            if isinstance(step, WaitFor):
                try:
                    Select.model_validate(step.args.select)
                except ValueError as exc:
                    raise ValueError(f"steps.{index}.args.select: {_first_error(exc)}") from None
            if step.expect is not None:
                validate_spec(step.expect, f"steps.{index}.expect")
            if step.as_ is not None:
                names.add(step.as_)
        for index, check in enumerate(self.wire):
            for field in ("during", "after"):
                ref = getattr(check.select, field, None) if check.select is not None else None
                if ref is not None and ref not in names:
                    raise ValueError(f"wire.{index}.select.{field}: {ref!r} is not the name ('as') of a step")
            if check.gaps is not None and self.setup.clock == "frozen":
                raise ValueError(f"wire.{index}.gaps: timing checks need setup.clock: real")
        return self

    @property
    def requirements(self) -> list[Requirement]:
        return [parse_requirement(text) for text in self.requires]

    @property
    def group(self) -> str:
        return self.id.split("/", 1)[0]


_DOLLAR = re.compile(r"^\$([a-z][a-z0-9_]*)(?:\.|$)")


def _check_refs(step: AnyStep, names: set[str], index: int) -> None:
    for value in _strings(step.args.model_dump()):
        match = _DOLLAR.match(value)
        if match is not None and match.group(1) not in names:
            raise ValueError(f"steps.{index}: {value!r} refers to {match.group(1)!r}, not an earlier step's name")


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(exc)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


class Suite(_Strict):
    """One catalog file."""

    suite: str = Field(min_length=1)
    scenarios: list[Scenario] = Field(min_length=1)
