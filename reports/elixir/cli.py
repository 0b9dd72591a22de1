"""CLI commands of a port: Mix tasks and argv dispatch in CLI modules, with their switches.

* ``defmodule Mix.Tasks.Tinkex.Checkpoint.List`` is the command ``checkpoint list`` (the first
  segment after ``Mix.Tasks`` names the application).
* In a module named ``…CLI`` (or ``….CLI.…``) a command is declared by a function clause or ``case``
  clause that matches the argv list: literal words (``["checkpoint", "list" | rest]``), a guard
  list (``[sub | rest] when sub in ["list", "info"]``) or a lookup of the first word in a map with
  string keys (``Map.fetch(@commands, sub)``). A clause that passes the rest of argv to another
  function of the module (``parse(["run" | rest]), do: parse_run(rest)``) makes the words that
  function matches sub-commands of ``run``.
* Switches: ``OptionParser.parse(argv, strict: [...])`` reachable from the declaring clause through
  calls within the module, the ``strict:`` list written inline, bound to a variable, or returned by
  a function of the module (``strict: run_switches()``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .flow import Clause, ModuleScope, calls, param_name
from .model import CliDecl, Loc
from .parse import Node, call_name, children, literal, text

__all__ = ["cli_commands", "is_cli_module", "kebab"]

_OPTION_PARSE = {"OptionParser.parse", "OptionParser.parse!", "OptionParser.parse_head"}
_SWITCH_TYPES = {"string", "integer", "boolean", "float", "count", "keep"}
_LOOKUPS = {"Map.fetch", "Map.get", "Map.fetch!", "Keyword.fetch", "Keyword.get"}


def kebab(name: str) -> str:
    """``SetTtl`` → ``set-ttl``, ``export_trace`` → ``export-trace``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).replace("_", "-").lower()


def is_cli_module(name: str) -> bool:
    parts = name.split(".")
    return "CLI" in parts or parts[-1].endswith("CLI")


def _is_tail(node: Node) -> bool:
    return node.type == "binary_operator" and text(node.child_by_field_name("operator")) == "|"


def _argv_words(node: Node) -> tuple[list[str], Node | None] | None:
    """``["checkpoint", "list" | rest]`` → (["checkpoint", "list"], rest); first item a variable → ([], None)."""
    if node.type != "list":
        return None
    words: list[str] = []
    for item in node.named_children:
        head = item.child_by_field_name("left") if _is_tail(item) else item
        value = literal(head) if head is not None and head.type == "string" else None
        if not isinstance(value, str) or value.startswith("-"):
            return (words, None) if words else None
        words.append(value)
        if _is_tail(item):
            return words, item.child_by_field_name("right")
    return words, None


def _guard_words(pattern: Node, guard: Node | None) -> tuple[list[str], str | None]:
    """``[sub | rest] when sub in ["a", "b"]`` → (["a", "b"], "rest")."""
    if pattern.type != "list" or len(pattern.named_children) != 1 or not _is_tail(pattern.named_children[0]):
        return [], None
    cell = pattern.named_children[0]
    first, tail = cell.child_by_field_name("left"), cell.child_by_field_name("right")
    if first is None or first.type != "identifier" or guard is None:
        return [], None
    var = text(first)
    stack = [guard]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type == "binary_operator" and text(node.child_by_field_name("operator")) == "in":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and text(left) == var and right is not None:
                values = literal(right)
                if isinstance(values, list) and all(isinstance(v, str) for v in values):
                    return [str(v) for v in values], (param_name(tail) if tail is not None else None)
    return [], None


def _first_var(pattern: Node) -> tuple[str | None, str | None]:
    """``[sub | rest]`` → ("sub", "rest")."""
    if pattern.type == "list" and len(pattern.named_children) == 1 and _is_tail(pattern.named_children[0]):
        cell = pattern.named_children[0]
        first, tail = cell.child_by_field_name("left"), cell.child_by_field_name("right")
        if first is not None and first.type == "identifier":
            return text(first), (param_name(tail) if tail is not None else None)
    return None, None


def _map_words(clause: Clause, var: str, attributes: dict[str, object]) -> list[str]:
    """Keys of a string-keyed map the first argv word is looked up in."""
    for call in calls(clause):
        full = f"{call.qualifier}.{call.name}" if call.qualifier else call.name
        if full not in _LOOKUPS or not any(text(a) == var for a in call.args):
            continue
        for arg in call.args:
            value = literal(arg, lambda ref: attributes.get(ref))
            if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
                return list(value)
    return []


class _Commands:
    def __init__(self, scope: ModuleScope, loc: Callable[[Node], Loc], attributes: dict[str, object]) -> None:
        self.scope = scope
        self.loc = loc
        self.attributes = attributes
        self.found: dict[str, CliDecl] = {}
        self.bodies: dict[str, list[Node]] = {}
        self.prefixes: dict[tuple[str, int], list[list[str]]] = {}
        self.receivers = _receivers(scope)

    def declare(self, words: list[str], at: Node, body: Node) -> None:
        path = " ".join(words)
        self.found.setdefault(path, CliDecl(path, self.loc(at)))
        bodies = self.bodies.setdefault(path, [])
        if all(b != body for b in bodies):
            bodies.append(body)

    def pass_tail(self, clause: Clause, tail: str | None, words: list[str]) -> bool:
        """The rest of argv handed to another function of the module: its words extend ``words``."""
        if tail is None:
            return False
        changed = False
        for call in calls(clause):
            if call.qualifier not in (None, "__MODULE__"):
                continue
            for position, arg in enumerate(call.args):
                if arg.type == "identifier" and text(arg) == tail:
                    known = self.prefixes.setdefault((call.name, position), [])
                    if words not in known:
                        known.append(words)
                        changed = True
        return changed

    def clause(self, clause: Clause) -> bool:
        changed = False
        for index, pattern in enumerate(clause.params):
            prefixes = self.prefixes.get((clause.name, index)) or []
            if not prefixes and (clause.name, index) not in self.receivers:
                prefixes = [[]]  # a root: nothing hands it the rest of argv
            matched = _argv_words(pattern)
            alternatives: list[tuple[list[str], str | None]] = []
            if matched is not None and matched[0]:
                tail = matched[1]
                alternatives.append((matched[0], param_name(tail) if tail is not None else None))
            else:
                guarded, tail_name = _guard_words(pattern, clause.guard)
                var, map_tail = _first_var(pattern)
                if not guarded and var is not None:
                    guarded, tail_name = _map_words(clause, var, self.attributes), map_tail
                alternatives += [([w], tail_name) for w in guarded]
            for words, tail_name in alternatives:
                for prefix in prefixes:
                    self.declare(prefix + words, pattern, clause.node)
                    changed |= self.pass_tail(clause, tail_name, prefix + words)
                    self.nested(clause.node, prefix + words if tail_name else prefix)
        return changed

    def nested(self, node: Node, prefix: list[str]) -> None:
        """``case rest do ["list" | args] -> ...`` inside a clause that matched ``prefix``."""
        for sub in node.named_children:
            if sub.type == "stab_clause":
                args = next(children(sub, "arguments"), None)
                for pattern in args.named_children if args is not None else []:
                    matched = _argv_words(pattern)
                    if matched is not None and matched[0]:
                        self.declare(prefix + matched[0], pattern, sub)
            if not (sub.type == "call" and call_name(sub) in ("def", "defp", "defmodule")):
                self.nested(sub, prefix)


def _receivers(scope: ModuleScope) -> set[tuple[str, int]]:
    """(function, argument position) pairs some clause hands the rest of an argv pattern to."""
    out: set[tuple[str, int]] = set()
    for clause in scope.clauses:
        tails: set[str] = set()
        for pattern in clause.params:
            for node in [pattern, *_descendants(pattern)]:
                if _is_tail(node):
                    right = node.child_by_field_name("right")
                    name = param_name(right) if right is not None else None
                    if name:
                        tails.add(name)
        for call in calls(clause):
            if call.qualifier in (None, "__MODULE__"):
                out |= {(call.name, i) for i, a in enumerate(call.args) if a.type == "identifier" and text(a) in tails}
    return out


def _may_match(arg: Node, pattern: Node) -> bool:
    """Could a call argument match a clause's pattern? Literals must agree; variables match anything."""
    if pattern.type == "identifier" or param_name(pattern) is not None:
        return True
    literals = ("atom", "string", "integer", "boolean", "tuple")
    if pattern.type in literals and arg.type in literals and pattern.type != arg.type:
        return False
    if pattern.type in ("atom", "string", "integer", "boolean") and arg.type == pattern.type:
        return text(arg) == text(pattern)
    if pattern.type == "tuple" and arg.type == "tuple":
        a, p = arg.named_children, pattern.named_children
        return len(a) == len(p) and all(_may_match(x, y) for x, y in zip(a, p, strict=True))
    return True


class _Switches:
    def __init__(self, scope: ModuleScope) -> None:
        self.scope = scope
        self.by_name: dict[str, list[Clause]] = {}
        for clause in scope.clauses:
            self.by_name.setdefault(clause.name, []).append(clause)

    def spec(self, name: str) -> set[str]:
        """Keys of the keyword list a function of the module returns (``run_switches/0``)."""
        out: set[str] = set()
        for clause in self.by_name.get(name, []):
            body = next(children(clause.node, "do_block"), None)
            last = body.named_children[-1] if body is not None and body.named_children else None
            if last is None:
                args = next(children(clause.node, "arguments"), None)
                for keywords in children(args, "keywords") if args is not None else []:
                    for pair in children(keywords, "pair"):
                        if text(pair.child_by_field_name("key")).rstrip(": ") == "do":
                            last = pair.child_by_field_name("value")
            if last is not None and last.type == "list":
                for keywords in children(last, "keywords"):
                    for pair in children(keywords, "pair"):
                        kind = literal(pair.child_by_field_name("value"))
                        if kind in _SWITCH_TYPES or isinstance(kind, list):
                            out.add(text(pair.child_by_field_name("key")).rstrip(": "))
        return out

    def of_value(self, value: Node, clause: Clause | None) -> set[str]:
        if value.type == "list":
            out: set[str] = set()
            for keywords in children(value, "keywords"):
                for pair in children(keywords, "pair"):
                    out.add(text(pair.child_by_field_name("key")).rstrip(": "))
            return out
        if value.type == "call" and call_name(value) and "." not in (call_name(value) or "."):
            return self.spec(call_name(value) or "")
        if value.type == "identifier" and clause is not None:
            for node in _descendants(clause.node):
                if node.type == "binary_operator" and text(node.child_by_field_name("operator")) == "=":
                    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                    if left is not None and text(left) == text(value) and right is not None:
                        return self.of_value(right, clause)
        return set()

    def reachable(self, body: Node, clause: Clause | None, depth: int = 0, seen: set[int] | None = None) -> set[str]:
        seen = seen if seen is not None else set()
        out: set[str] = set()
        head = clause.head if clause is not None and body == clause.node else None
        for node in [body, *_descendants(body)]:
            if node.type != "call" or node == body and head is not None:
                continue
            if head is not None and head.start_byte <= node.start_byte and node.end_byte <= head.end_byte:
                continue
            name = call_name(node) or ""
            args = next(children(node, "arguments"), None)
            items = list(args.named_children) if args is not None else []
            if name in _OPTION_PARSE:
                for keywords in children(args, "keywords") if args is not None else []:
                    for pair in children(keywords, "pair"):
                        key = text(pair.child_by_field_name("key")).rstrip(": ")
                        value = pair.child_by_field_name("value")
                        if key in ("strict", "switches") and value is not None:
                            out |= self.of_value(value, clause)
                continue
            if "." in name or name not in self.by_name or depth >= 6:
                continue
            for item in items:  # a switch list handed over as an argument: ``parse(argv, run_switches())``
                if item.type == "call" and "." not in (call_name(item) or "."):
                    out |= self.spec(call_name(item) or "")
            for callee in self.by_name[name]:
                if id(callee.node) in seen or len(callee.params) != len(items):
                    continue
                if all(_may_match(a, p) for a, p in zip(items, callee.params, strict=True)):
                    seen.add(id(callee.node))
                    out |= self.reachable(callee.node, callee, depth + 1, seen)
        return out


def _descendants(node: Node) -> list[Node]:
    out, stack = [], list(node.named_children)
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.named_children)
    return out


def cli_commands(scope: ModuleScope, loc: Callable[[Node], Loc], attributes: dict[str, object]) -> list[CliDecl]:
    """The commands ``scope`` declares, each with the switches its clause reaches."""
    switches = _Switches(scope)
    if scope.name.startswith("Mix.Tasks."):
        path = " ".join(kebab(s) for s in scope.name.split(".")[3:])
        return [CliDecl(path, loc(scope.node), options=switches.reachable(scope.node, None))]
    if not is_cli_module(scope.name):
        return []
    commands = _Commands(scope, loc, attributes)
    for _ in range(8):  # prefixes travel one call further each round
        changed = False
        for clause in scope.clauses:
            changed |= commands.clause(clause)
        if not changed:
            break
    for path, decl in commands.found.items():
        owner = {id(c.node): c for c in scope.clauses}
        for body in commands.bodies[path]:
            decl.options |= switches.reachable(body, owner.get(id(body)))
    return sorted(commands.found.values(), key=lambda c: c.path)
