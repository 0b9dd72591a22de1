"""Extract the public surface of an Elixir port from its checkout with tree-sitter.

:func:`extract_port` walks ``lib/`` (or the whole tree minus ``deps``, ``_build`` and ``test``),
parses every ``.ex`` file and records modules, public functions (arity, defaults, ``@spec``),
``defstruct`` fields with defaults, ``@enforce_keys``, module attributes, ``@type`` names, API path
string literals with their HTTP verb, ``System.get_env`` names and CLI commands. A file that does
not parse is listed in :attr:`PortSurface.problems` with its first error line and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .builders import set_keys
from .cli import cli_commands
from .defaults import default_facts
from .env_reads import ENV_CALLS, env_reads
from .flow import ModuleScope, module_scopes
from .literal_bodies import literal_bodies
from .model import Attribute, EnvRead, Function, Loc, Module, Param, ParseProblem, PathLiteral, PortSurface, StructField
from .parse import UNKNOWN, Node, call_name, children, first_error, literal, parser, string_template, text
from .versions import declared_version
from .wire_view import ENCODER_FUNCTIONS, derive_encoder, encoder_keys, parse_defaults

__all__ = ["extract_port", "source_files"]

_SKIP_DIRS = {"deps", "_build", "test", "node_modules", ".git", ".elixir_ls", "cover", "doc"}
_DEFS = {"def": True, "defp": False, "defdelegate": True, "defmacro": True, "defmacrop": False}
_VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
_OPTION_GETTERS = {"Keyword.get", "Map.get", "Keyword.get_lazy"}
API_PREFIX = "/api/v1/"
_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$")


def source_files(root: Path) -> list[Path]:
    """The ``.ex`` files of a checkout: under ``lib/`` when there is one, else everywhere."""
    base = root / "lib" if (root / "lib").is_dir() else root
    return sorted(
        p for p in base.rglob("*.ex") if not any(part in _SKIP_DIRS for part in p.relative_to(root).parts[:-1])
    )


class _FileExtractor:
    def __init__(self, surface: PortSurface, rel: str, encoders: dict[str, tuple[list[str], Loc]]) -> None:
        self.surface = surface
        self.rel = rel
        self.encoders = encoders  # defimpl Jason.Encoder, for: M -> (keys, place)
        self.pending_impl = False

    def loc(self, node: Node) -> Loc:
        return Loc(self.rel, node.start_point[0] + 1)

    # -- modules -----------------------------------------------------------------------------
    def walk(self, node: Node, module: Module | None) -> None:
        for child in node.named_children:
            name = call_name(child) if child.type == "call" else None
            if name == "defmodule":
                self.module(child, module)
            elif name == "defimpl":
                self.defimpl(child, module)
            elif child.type in ("call", "do_block", "block", "unary_operator", "binary_operator"):
                self.walk(child, module)

    def module(self, node: Node, parent: Module | None) -> None:
        args = next(children(node, "arguments"), None)
        alias = text(args.named_children[0]) if args is not None and args.named_children else "?"
        name = f"{parent.name}.{alias}" if parent is not None else alias
        module = Module(name=name, loc=self.loc(node))
        self.surface.modules.append(module)
        body = next(children(node, "do_block"), None)
        specs: dict[str, list[str]] = {}
        for stmt in body.named_children if body is not None else []:
            kind = call_name(stmt) if stmt.type == "call" else None
            if stmt.type == "unary_operator" and text(stmt.child_by_field_name("operator")) == "@":
                self.attribute(stmt, module, specs)
            elif kind in _DEFS:
                self.function(stmt, module, specs, public=_DEFS[kind])
            elif kind == "defstruct":
                self.struct(stmt, module)
            elif kind == "defmodule":
                self.module(stmt, module)
            elif kind == "defimpl":
                self.defimpl(stmt, module)
        if module.struct is not None:
            parse_defaults(node, module, self.loc)
            if module.encoder_keys is None and not module.encoder_all and not module.encoder_except:
                for stmt in body.named_children if body is not None else []:
                    head = _def_name(stmt)
                    if head in ENCODER_FUNCTIONS and head != "encode":
                        keys = encoder_keys(stmt)
                        if keys:
                            module.encoder_keys, module.encoder_loc = keys, self.loc(stmt)
        self.scan(node, module)

    def defimpl(self, node: Node, module: Module | None) -> None:
        """``defimpl Jason.Encoder, for: M do def encode(...) ... end``: the keys M is sent with."""
        args = next(children(node, "arguments"), None)
        items = list(args.named_children) if args is not None else []
        if not items or not text(items[0]).endswith("Encoder"):
            return
        target = module.name if module is not None else None
        for keywords in children(args, "keywords") if args is not None else []:
            for pair in children(keywords, "pair"):
                if text(pair.child_by_field_name("key")).rstrip(": ") == "for":
                    target = text(pair.child_by_field_name("value")).replace(
                        "__MODULE__", module.name if module is not None else ""
                    )
        body = next(children(node, "do_block"), None)
        if target is None or body is None:
            return
        keys: list[str] = []
        for stmt in body.named_children:
            if _def_name(stmt) == "encode":
                keys += encoder_keys(stmt)
        if keys:
            self.encoders[target] = (list(dict.fromkeys(keys)), self.loc(node))

    def attribute(self, stmt: Node, module: Module, specs: dict[str, list[str]]) -> None:
        operand = stmt.child_by_field_name("operand")
        if operand is None or operand.type != "call":
            return
        name = call_name(operand) or ""
        args = next(children(operand, "arguments"), None)
        value = args.named_children[0] if args is not None and args.named_children else None
        if name == "impl":
            self.pending_impl = True
        elif name == "derive" and value is not None:
            derive_encoder(value, module, self.loc(stmt))
        elif name == "spec" and value is not None:
            head = value.child_by_field_name("left") if value.type == "binary_operator" else value
            fname = call_name(head) if head is not None and head.type == "call" else text(head)
            specs.setdefault(fname or "", []).append(text(value))
        elif name in ("type", "typep", "opaque") and value is not None:
            head = value.child_by_field_name("left") if value.type == "binary_operator" else value
            module.types.append((call_name(head) if head is not None and head.type == "call" else text(head)) or "")
        elif name == "enforce_keys":
            keys = literal(value)
            module.enforce_keys = [str(k) for k in keys] if isinstance(keys, list) else []
        elif name not in module.attributes and value is not None:
            evaluated = literal(value, lambda ref: _attr_value(module, ref))
            module.attributes[name] = Attribute(name, text(value), self.loc(stmt), evaluated)

    def function(self, stmt: Node, module: Module, specs: dict[str, list[str]], public: bool) -> None:
        args = next(children(stmt, "arguments"), None)
        head = args.named_children[0] if args is not None and args.named_children else None
        if head is not None and head.type == "binary_operator" and text(head.child_by_field_name("operator")) == "when":
            head = head.child_by_field_name("left")
        if head is None:
            return
        if head.type == "identifier":
            name, params = text(head), []
        elif head.type == "call":
            name = call_name(head) or ""
            head_args = next(children(head, "arguments"), None)
            params = [_param(p) for p in head_args.named_children] if head_args is not None else []
        else:
            return
        existing = next((f for f in module.functions if f.name == name and f.arity == len(params)), None)
        function = existing or Function(name=name, params=params, public=public, loc=self.loc(stmt))
        function.callback |= self.pending_impl
        self.pending_impl = False
        if existing is None:
            function.specs = specs.get(name, [])
            module.functions.append(function)
        elif any(p.default is not None for p in params):
            function.params = params
        for sub in _descendants(stmt):
            if sub.type == "call" and call_name(sub) in _OPTION_GETTERS:
                sub_args = next(children(sub, "arguments"), None)
                items = sub_args.named_children if sub_args is not None else []
                if len(items) >= 3 and items[1].type == "atom":
                    key = text(items[1]).lstrip(":")
                    function.option_defaults.setdefault(key, (text(items[2]), self.loc(items[2])))
                elif len(items) == 2 and items[1].type == "atom":
                    self.surface.bare_options.setdefault(text(items[1]).lstrip(":"), self.loc(sub))

    def struct(self, stmt: Node, module: Module) -> None:
        args = next(children(stmt, "arguments"), None)
        fields: list[StructField] = []
        for item in args.named_children if args is not None else []:
            entries = item.named_children if item.type == "list" else [item]
            for entry in entries:
                if entry.type == "atom":
                    fields.append(StructField(text(entry).lstrip(":"), None, self.loc(entry)))
                elif entry.type == "keywords":
                    for pair in children(entry, "pair"):
                        key = text(pair.child_by_field_name("key")).rstrip(": ")
                        value = pair.child_by_field_name("value")
                        fields.append(StructField(key, text(value), self.loc(pair)))
        module.struct = fields

    # -- literals anywhere in the module -------------------------------------------------------
    def scan(self, node: Node, module: Module) -> None:
        for sub in _descendants(node, stop_at_modules=True):
            if sub.type == "string":
                self.path_literal(sub, module)
                content = text(sub).strip('"')
                if "application/x-protobuf" in content:
                    self.surface.protobuf.append(self.loc(sub))
                if _HEADER.match(content):
                    self.surface.header_names.add(content.lower())
                    self.surface.header_locs.setdefault(content.lower(), self.loc(sub))
            elif sub.type == "call" and call_name(sub) == "Application.get_env":
                sub_args = next(children(sub, "arguments"), None)
                items = sub_args.named_children if sub_args is not None else []
                if len(items) >= 3 and items[1].type == "atom":
                    module.config_defaults.append((text(items[1]).lstrip(":"), text(items[2]), self.loc(items[2])))
            elif sub.type == "call" and call_name(sub) in ENV_CALLS:
                sub_args = next(children(sub, "arguments"), None)
                first = sub_args.named_children[0] if sub_args is not None and sub_args.named_children else None
                value = literal(first)
                if isinstance(value, str):
                    self.surface.env_reads.append(EnvRead(value, self.loc(sub)))

    def path_literal(self, node: Node, module: Module) -> None:
        template = _resolved_template(node, module)
        if template is None or API_PREFIX not in template:
            return
        if any(c.isspace() for c in template):
            return  # prose (a @moduledoc mentioning a path), not a request
        path = template[template.index(API_PREFIX) :].split("?", 1)[0]
        definition = _enclosing_def_node(node)
        self.surface.paths.append(
            PathLiteral(
                path,
                _verb(node),
                module.name,
                self.loc(node),
                _def_name(definition) if definition is not None else None,
                definition is not None and drops_nil(text(definition)),
            )
        )


def _attr_value(module: Module, name: str) -> Any:
    attribute = module.attributes.get(name)
    return attribute.literal if attribute is not None else UNKNOWN


def _resolved_template(node: Node, module: Module) -> str | None:
    """The string's template, with ``#{@attr}`` replaced by the attribute's string value."""
    parts = []
    for child in node.named_children:
        if child.type == "quoted_content":
            parts.append(text(child))
        elif child.type == "interpolation":
            inner = text(child)[2:-1].strip()
            value = _attr_value(module, inner[1:]) if inner.startswith("@") else UNKNOWN
            parts.append(value if isinstance(value, str) else "{}")
    return "".join(parts) if node.type == "string" else string_template(node)


def _verb(node: Node) -> str | None:
    """The HTTP verb of the call a path literal is passed to (``post(path, ...)``, ``method: :post``)."""
    current: Node | None = node.parent
    for _ in range(4):
        if current is None:
            return None
        if current.type == "call":
            name = (call_name(current) or "").rsplit(".", 1)[-1].rstrip("!")
            if name in _VERBS:
                return _VERBS[name]
            args_text = text(next(children(current, "arguments"), None))
            for verb, upper in _VERBS.items():
                if f"method: :{verb}" in args_text or f"(:{verb}," in f"({args_text.lstrip('(')}":
                    return upper
        current = current.parent
    return None


def _param(node: Node) -> Param:
    if node.type == "binary_operator" and text(node.child_by_field_name("operator")) == "\\\\":
        left = node.child_by_field_name("left")
        return Param(_param(left).name if left is not None else "_", text(node.child_by_field_name("right")))
    if node.type == "identifier":
        return Param(text(node))
    if node.type == "binary_operator" and text(node.child_by_field_name("operator")) == "=":
        right = node.child_by_field_name("right")
        left = node.child_by_field_name("left")
        named = right if right is not None and right.type == "identifier" else left
        return Param(text(named) if named is not None and named.type == "identifier" else "_pattern")
    return Param("_pattern")


def _descendants(node: Node, stop_at_modules: bool = False) -> list[Node]:
    out, stack = [], list(reversed(node.named_children))
    while stack:
        current = stack.pop()
        if stop_at_modules and current.type == "call" and call_name(current) == "defmodule":
            continue
        out.append(current)
        stack.extend(reversed(current.named_children))
    return out


def extract_port(root: Path) -> PortSurface:
    """Everything the comparison needs from a port checkout at ``root``."""
    surface = PortSurface(root=str(root))
    scopes: list[tuple[str, list[ModuleScope]]] = []
    encoders: dict[str, tuple[list[str], Loc]] = {}
    trees: list[tuple[str, Node]] = []
    for path in source_files(root):
        rel = path.relative_to(root).as_posix()
        surface.files += 1
        try:
            source = path.read_bytes()
            source.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            surface.problems.append(ParseProblem(rel, 0, f"unreadable: {exc}"))
            continue
        tree = parser().parse(source)
        error = first_error(tree.root_node)
        if error is not None:
            snippet = text(error).strip().splitlines()[0][:40] if text(error).strip() else error.type
            surface.problems.append(ParseProblem(rel, error.start_point[0] + 1, f"syntax error near {snippet!r}"))
            continue
        _FileExtractor(surface, rel, encoders).walk(tree.root_node, None)
        scopes.append((rel, module_scopes(tree.root_node)))
        trees.append((rel, tree.root_node))
    for name, (keys, loc) in encoders.items():
        module = surface.module(name)
        if module is not None:
            module.encoder_keys, module.encoder_loc = keys, loc
    _follow(surface, scopes)
    declared_version(root, surface, scopes)
    literal_bodies(surface, trees)
    surface.set_keys = set_keys(surface, trees)
    return surface


def _enclosing_def_node(node: Node) -> Node | None:
    current = node.parent
    while current is not None:
        if _def_name(current) is not None:
            return current
        current = current.parent
    return None


# ``transform: [drop_nil?: true]``, ``drop_nils(body)``, ``Enum.reject(&is_nil/1)``: an option or helper
# that removes nil values from a body; ``drop_nil?: false`` does not.
_NIL_DROP = re.compile(r"\b(?:drop|reject|strip|skip|omit|compact)_?nils?(?:_\w+)?\b\??(?:\s*:\s*(\w+))?|&is_nil/1")


def drops_nil(source: str) -> bool:
    """Whether a function's source strips nil values from what it sends (§ request bodies)."""
    return any(m.group(1) != "false" for m in _NIL_DROP.finditer(source))


def _def_name(stmt: Node) -> str | None:
    if stmt.type != "call" or call_name(stmt) not in ("def", "defp"):
        return None
    args = next(children(stmt, "arguments"), None)
    head = args.named_children[0] if args is not None and args.named_children else None
    if head is not None and head.type == "binary_operator":
        head = head.child_by_field_name("left")
    if head is None:
        return None
    return call_name(head) if head.type == "call" else text(head)


def _locator(rel: str) -> Callable[[Node], Loc]:
    return lambda node: Loc(rel, node.start_point[0] + 1)


def _follow(surface: PortSurface, files: list[tuple[str, list[ModuleScope]]]) -> None:
    """What needs every file parsed: CLI dispatch across clauses and reads through helpers."""
    known = {m.name for m in surface.modules}
    default_facts(files, {m.name: m for m in surface.modules})
    for rel, scopes in files:
        for scope in scopes:
            module = surface.module(scope.name)
            attributes = {k: a.literal for k, a in module.attributes.items()} if module is not None else {}
            surface.cli += cli_commands(scope, _locator(rel), attributes)
    seen = {(r.name, r.loc) for r in surface.env_reads}
    for read in env_reads(files, known):
        if (read.name, read.loc) not in seen:
            seen.add((read.name, read.loc))
            surface.env_reads.append(read)
