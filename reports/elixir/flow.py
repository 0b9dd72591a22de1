"""Function clauses and the calls between them: what lets the extractor follow a value through helpers.

A port rarely calls ``System.get_env("TINKER_API_KEY")`` at the place it needs the value: it goes
through a helper (``env |> fetch("TINKER_API_KEY")`` with ``defp fetch(:system, key), do:
System.get_env(key)``). :func:`module_scopes` lists every ``def``/``defp`` clause of a module with its
parameter patterns and guard; :func:`calls` lists the calls in a clause body with their arguments as
the callee sees them (a piped call gets the left operand as its first argument); :func:`resolve`
names the module a call reaches (local, ``__MODULE__``, an ``alias``, or a full name).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .parse import Node, call_name, children, text

__all__ = ["Call", "Clause", "ModuleScope", "calls", "module_scopes", "param_name", "resolve"]

_DEFS = ("def", "defp")
_NOT_CALLS = {
    "def",
    "defp",
    "defmodule",
    "defmacro",
    "defmacrop",
    "defstruct",
    "defdelegate",
    "alias",
    "import",
    "require",
    "use",
    "when",
    "fn",
    "case",
    "cond",
    "if",
    "unless",
    "with",
    "for",
    "receive",
    "try",
    "quote",
}


@dataclass
class Clause:
    module: str
    name: str
    params: list[Node]  # the head's argument patterns
    guard: Node | None
    node: Node  # the whole ``def`` call
    head: Node

    @property
    def arity(self) -> int:
        return len(self.params)

    def param_index(self, name: str) -> int | None:
        for i, p in enumerate(self.params):
            if param_name(p) == name:
                return i
        return None


@dataclass(frozen=True)
class Call:
    qualifier: str | None  # "Tinkex.Env", "__MODULE__", None for a local call
    name: str
    args: list[Node]  # as the callee sees them: a piped call's left operand first
    node: Node


@dataclass
class ModuleScope:
    name: str
    node: Node
    aliases: dict[str, str] = field(default_factory=dict)  # "Env" -> "Tinkex.Env"
    clauses: list[Clause] = field(default_factory=list)


def param_name(pattern: Node) -> str | None:
    """``key`` for ``key``, ``key \\\\ nil`` and ``%{} = key``; None for other patterns."""
    if pattern.type == "identifier":
        return text(pattern)
    if pattern.type == "binary_operator":
        op = text(pattern.child_by_field_name("operator"))
        left, right = pattern.child_by_field_name("left"), pattern.child_by_field_name("right")
        if op == "\\\\" and left is not None:
            return param_name(left)
        if op == "=":
            for side in (right, left):
                if side is not None and side.type == "identifier":
                    return text(side)
    return None


def _head(stmt: Node) -> tuple[Node, Node | None] | None:
    args = next(children(stmt, "arguments"), None)
    head = args.named_children[0] if args is not None and args.named_children else None
    guard = None
    if head is not None and head.type == "binary_operator" and text(head.child_by_field_name("operator")) == "when":
        guard = head.child_by_field_name("right")
        head = head.child_by_field_name("left")
    return (head, guard) if head is not None else None


def _aliases(body: Node, scope: ModuleScope) -> None:
    for stmt in body.named_children:
        if stmt.type != "call" or call_name(stmt) != "alias":
            continue
        args = next(children(stmt, "arguments"), None)
        if args is None or not args.named_children:
            continue
        target = args.named_children[0]
        as_name = None
        for keywords in children(args, "keywords"):
            for pair in children(keywords, "pair"):
                if text(pair.child_by_field_name("key")).rstrip(": ") == "as":
                    as_name = text(pair.child_by_field_name("value"))
        if target.type == "alias":
            full = text(target).replace("__MODULE__", scope.name)
            scope.aliases[as_name or full.rsplit(".", 1)[-1]] = full
        elif target.type == "dot":  # alias A.{B, C}
            base = text(target.child_by_field_name("left")).replace("__MODULE__", scope.name)
            for inner in target.named_children[1:]:
                for name in text(inner).strip("{} ").split(",") if inner.type != "alias" else [text(inner)]:
                    name = name.strip()
                    if name:
                        scope.aliases[name.rsplit(".", 1)[-1]] = f"{base}.{name}"


def module_scopes(root: Node) -> list[ModuleScope]:
    """Every ``defmodule`` under ``root`` (nested ones with their full names) and its clauses."""
    out: list[ModuleScope] = []

    def visit(node: Node, parent: str | None) -> None:
        for child in node.named_children:
            if child.type == "call" and call_name(child) == "defmodule":
                args = next(children(child, "arguments"), None)
                alias = text(args.named_children[0]) if args is not None and args.named_children else "?"
                scope = ModuleScope(f"{parent}.{alias}" if parent else alias, child)
                out.append(scope)
                body = next(children(child, "do_block"), None)
                if body is not None:
                    _aliases(body, scope)
                    for stmt in body.named_children:
                        if stmt.type == "call" and call_name(stmt) in _DEFS:
                            found = _head(stmt)
                            if found is None:
                                continue
                            head, guard = found
                            if head.type == "call":
                                head_args = next(children(head, "arguments"), None)
                                params = list(head_args.named_children) if head_args is not None else []
                                name = call_name(head) or ""
                            elif head.type == "identifier":
                                params, name = [], text(head)
                            else:
                                continue
                            scope.clauses.append(Clause(scope.name, name, params, guard, stmt, head))
                    visit(body, scope.name)
            elif child.type in ("call", "do_block", "block"):
                visit(child, parent)

    visit(root, None)
    return out


def _within(node: Node, outer: Node) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


def calls(clause: Clause) -> Iterator[Call]:
    """Calls in the clause (head excluded), arguments as the callee receives them."""
    stack = list(clause.node.named_children)
    while stack:
        node = stack.pop()
        if _within(node, clause.head) or (clause.guard is not None and _within(node, clause.guard)):
            continue
        stack.extend(node.named_children)
        if node.type != "call":
            continue
        name = call_name(node)
        if name is None or name in _NOT_CALLS:
            continue
        args_node = next(children(node, "arguments"), None)
        args = list(args_node.named_children) if args_node is not None else []
        parent = node.parent
        if (
            parent is not None
            and parent.type == "binary_operator"
            and text(parent.child_by_field_name("operator")) == "|>"
            and parent.child_by_field_name("right") == node
        ):
            left = parent.child_by_field_name("left")
            if left is not None:
                args = [left, *args]
        qualifier, _, fname = name.rpartition(".")
        yield Call(qualifier or None, fname, args, node)


def resolve(call: Call, scope: ModuleScope, known: set[str]) -> str | None:
    """The module ``call`` reaches, when it is a module of the port (``known``)."""
    if call.qualifier is None or call.qualifier == "__MODULE__":
        return scope.name
    first, _, rest = call.qualifier.partition(".")
    if first in scope.aliases:
        full = scope.aliases[first] + (f".{rest}" if rest else "")
    else:
        full = call.qualifier.replace("__MODULE__", scope.name)
    return full if full in known else None
