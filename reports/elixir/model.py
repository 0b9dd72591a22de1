"""What the Elixir extractor finds in a port checkout: modules, functions, structs, attributes,
API path literals, environment reads and CLI commands, each with its ``file:line``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Attribute",
    "CliDecl",
    "EnvRead",
    "Function",
    "Loc",
    "Module",
    "Param",
    "ParseProblem",
    "PathLiteral",
    "PortSurface",
    "StructField",
]


@dataclass(frozen=True)
class Loc:
    """A place in the port checkout, relative to its root (``lib/tinkex/service_client.ex:12``)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Param:
    name: str
    default: str | None = None  # source text of ``\\ default``


@dataclass
class Function:
    name: str
    params: list[Param]
    public: bool
    loc: Loc
    specs: list[str] = field(default_factory=list)
    option_defaults: dict[str, tuple[str, Loc]] = field(default_factory=dict)  # Keyword.get(opts, :k, default)

    @property
    def arity(self) -> int:
        return len(self.params)

    @property
    def min_arity(self) -> int:
        return sum(1 for p in self.params if p.default is None)

    @property
    def returns_task(self) -> bool:
        return any("Task.t" in spec.split("::", 1)[-1] for spec in self.specs)


@dataclass(frozen=True)
class StructField:
    name: str
    default: str | None
    loc: Loc


@dataclass(frozen=True)
class Attribute:
    name: str
    value: str  # source text
    loc: Loc
    literal: Any = field(default=None, compare=False)  # evaluated value, or parse.UNKNOWN


@dataclass
class Module:
    name: str
    loc: Loc
    functions: list[Function] = field(default_factory=list)
    struct: list[StructField] | None = None
    enforce_keys: list[str] = field(default_factory=list)
    attributes: dict[str, Attribute] = field(default_factory=dict)
    types: list[str] = field(default_factory=list)

    def public_functions(self, name: str) -> list[Function]:
        return [f for f in self.functions if f.public and f.name == name]


@dataclass(frozen=True)
class PathLiteral:
    path: str  # template, interpolations as ``{}``: "/api/v1/training_runs/{}/checkpoints"
    verb: str | None
    module: str
    loc: Loc


@dataclass(frozen=True)
class EnvRead:
    name: str
    loc: Loc


@dataclass
class CliDecl:
    path: str  # "checkpoint list"
    loc: Loc
    options: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ParseProblem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class PortSurface:
    root: str
    files: int = 0
    modules: list[Module] = field(default_factory=list)
    paths: list[PathLiteral] = field(default_factory=list)
    env_reads: list[EnvRead] = field(default_factory=list)
    cli: list[CliDecl] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)

    def module(self, name: str) -> Module | None:
        return next((m for m in self.modules if m.name == name), None)
