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
    "LiteralBody",
    "Loc",
    "Module",
    "Param",
    "ParseProblem",
    "PathLiteral",
    "PortSurface",
    "StructField",
    "VersionUse",
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
    callback: bool = False  # ``@impl``: a behaviour callback, its arity is the behaviour's

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
    encoder_keys: list[str] | None = None  # keys an encoder writes (``only:`` list or an encode function)
    encoder_except: list[str] = field(default_factory=list)
    encoder_all: bool = False  # ``@derive Jason.Encoder``: every field
    encoder_loc: Loc | None = None
    encoder_derived: bool = False  # a derived encoder writes every listed key, nil as null
    parse_defaults: dict[str, tuple[str, Loc]] = field(default_factory=dict)  # field -> fallback when parsing
    config_defaults: list[tuple[str, str, Loc]] = field(default_factory=list)  # Application.get_env key, default
    mode_defaults: dict[str, str] = field(default_factory=dict)  # attribute -> the default mode's attribute
    counter_caps: dict[str, tuple[int, Loc]] = field(default_factory=dict)  # counter field -> its cap
    opt_in: bool = False  # struct of an opt-in feature (``enabled: false``)

    def public_functions(self, name: str) -> list[Function]:
        return [f for f in self.functions if f.public and f.name == name]

    def wire_fields(self) -> list[str] | None:
        """The struct fields its encoder writes; None when no encoder is declared (all, presumably)."""
        names = [f.name for f in self.struct or []]
        if self.encoder_keys is not None:
            return self.encoder_keys
        if self.encoder_except:
            return [n for n in names if n not in self.encoder_except]
        return names if self.encoder_all else None


@dataclass(frozen=True)
class PathLiteral:
    path: str  # template, interpolations as ``{}``: "/api/v1/training_runs/{}/checkpoints"
    verb: str | None
    module: str
    loc: Loc
    function: str | None = None  # the function the literal is in
    drops_nil: bool = False  # that function strips nil values from the body before it is sent


@dataclass(frozen=True)
class LiteralBody:
    """A request body posted as a map literal built at the call site: its keys are all that is sent."""

    path: str
    keys: list[str]
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


@dataclass(frozen=True)
class VersionUse:
    """Where the port sends the SDK version it declares: a header, a body key, or a call site."""

    label: str  # "header x-stainless-package-version", "body key sdk_version", "tinker_sdk()"
    loc: Loc


@dataclass
class PortSurface:
    root: str
    files: int = 0
    declared_sdk_version: tuple[str, Loc] | None = None  # ("0.15.0", mix.exs:6)
    version_uses: list[VersionUse] = field(default_factory=list)
    protobuf: list[Loc] = field(default_factory=list)  # where the port names application/x-protobuf
    header_names: set[str] = field(default_factory=set)  # header-like string literals, lower case
    header_locs: dict[str, Loc] = field(default_factory=dict)  # header name -> where it is first named
    modules: list[Module] = field(default_factory=list)
    paths: list[PathLiteral] = field(default_factory=list)
    literal_bodies: list[LiteralBody] = field(default_factory=list)
    set_keys: dict[str, set[str]] = field(default_factory=dict)  # struct short name -> keys never left nil
    bare_options: dict[str, Loc] = field(default_factory=dict)  # Keyword.get(opts, :k) with no default
    env_reads: list[EnvRead] = field(default_factory=list)
    cli: list[CliDecl] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)

    def module(self, name: str) -> Module | None:
        return next((m for m in self.modules if m.name == name), None)
