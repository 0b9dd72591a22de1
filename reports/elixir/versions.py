"""The SDK version a port declares to the server, and everywhere it sends it.

A port usually pins the official SDK version it claims to speak (``@tinker_sdk_version "0.15.0"``
in ``mix.exs`` or a module) and sends it in headers, in the ``create_session`` body and in
telemetry; a server feature-gates clients by it. The declaration is a module attribute whose name
contains ``sdk`` and ``version`` with a ``x.y.z`` literal; it reaches the wire through functions
that return such an attribute (or call such a function). Every call of those functions elsewhere is
a use, labelled by its place: a header tuple, a body key, or the function it is in.
"""

from __future__ import annotations

import re
from pathlib import Path

from .flow import ModuleScope, calls, resolve
from .model import Loc, PortSurface, VersionUse
from .parse import Node, call_name, children, first_error, literal, parser, text

__all__ = ["declared_version"]

_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?([-.+][\w.]+)?$")


def _carrier_name(name: str) -> bool:
    return "sdk" in name and "version" in name


def _attributes(root: Node) -> list[tuple[str, Node]]:
    out = []
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type == "unary_operator" and text(node.child_by_field_name("operator")) == "@":
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "call":
                args = next(children(operand, "arguments"), None)
                if args is not None and args.named_children:
                    out.append((call_name(operand) or "", args.named_children[0]))
    return out


def _label(call: Node, function: str) -> str:
    node: Node | None = call
    for _ in range(3):
        parent = node.parent if node is not None else None
        if parent is None:
            break
        if parent.type == "pair":
            return f"body key {text(parent.child_by_field_name('key')).rstrip(': ')}"
        if parent.type == "tuple" and parent.named_children and parent.named_children[0].type == "string":
            return f"header {literal(parent.named_children[0])}"
        if parent.type == "binary_operator" and text(parent.child_by_field_name("operator")) == "=>":
            return f"body key {literal(parent.child_by_field_name('left'))}"
        if parent.type == "interpolation":
            return f"text built in {function}"
        node = parent
    return f"call in {function}"


def declared_version(root: Path, surface: PortSurface, files: list[tuple[str, list[ModuleScope]]]) -> None:
    """Fill ``surface.declared_sdk_version`` and ``surface.version_uses``."""
    candidates: list[tuple[str, Loc]] = []
    mix = root / "mix.exs"
    if mix.is_file():
        tree = parser().parse(mix.read_bytes())
        if first_error(tree.root_node) is None:
            for name, value in _attributes(tree.root_node):
                version = literal(value)
                if _carrier_name(name) and isinstance(version, str) and _VERSION.match(version):
                    candidates.append((version, Loc("mix.exs", value.start_point[0] + 1)))
    carriers_attr: set[str] = set()
    for module in surface.modules:
        for name, attribute in module.attributes.items():
            if _carrier_name(name):
                carriers_attr.add(name)
                if isinstance(attribute.literal, str) and _VERSION.match(attribute.literal):
                    candidates.append((attribute.literal, attribute.loc))
    if not candidates:
        return
    surface.declared_sdk_version = candidates[0]
    known = {m.name for m in surface.modules}
    carriers: set[tuple[str, str]] = set()
    for _ in range(4):
        for _, scopes in files:
            for scope in scopes:
                for clause in scope.clauses:
                    if clause.params:
                        continue
                    body = text(clause.node)
                    inner = list(calls(clause))
                    returns_attr = any(f"@{a}" in body for a in carriers_attr) and len(body) < 200
                    via = len(inner) == 1 and (resolve(inner[0], scope, known), inner[0].name) in carriers
                    if returns_attr or via:
                        carriers.add((scope.name, clause.name))
    for rel, scopes in files:
        for scope in scopes:
            for clause in scope.clauses:
                if (scope.name, clause.name) in carriers:
                    continue
                for call in calls(clause):
                    if (resolve(call, scope, known), call.name) in carriers:
                        use = VersionUse(_label(call.node, clause.name), Loc(rel, call.node.start_point[0] + 1))
                        if use not in surface.version_uses:
                            surface.version_uses.append(use)
    surface.version_uses.sort(key=lambda u: (u.loc.file, u.loc.line))
