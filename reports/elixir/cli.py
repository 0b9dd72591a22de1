"""CLI commands of a port: Mix tasks and argv patterns of CLI modules, with their switches.

* ``defmodule Mix.Tasks.Tinkex.Checkpoint.List`` is the command ``checkpoint list`` (the first
  segment after ``Mix.Tasks`` names the application).
* In a module named ``…CLI`` (or ``….CLI.…``), every function head or ``case`` clause that matches
  an argv list starting with string literals (``["checkpoint", "list" | rest]``) declares that
  command.
* ``OptionParser.parse(argv, strict: [run_id: :string])`` inside a command's clause (or anywhere in
  a Mix task) gives its switches.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .model import CliDecl, Loc
from .parse import Node, call_name, children, literal, text

__all__ = ["cli_commands", "is_cli_module", "kebab", "option_switches"]


def kebab(name: str) -> str:
    """``SetTtl`` → ``set-ttl``, ``export_trace`` → ``export-trace``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).replace("_", "-").lower()


def is_cli_module(name: str) -> bool:
    parts = name.split(".")
    return "CLI" in parts or parts[-1].endswith("CLI")


def _argv_pattern(node: Node) -> list[str] | None:
    """``["checkpoint", "list" | rest]`` → ``["checkpoint", "list"]``; anything else → None."""
    if node.type != "list":
        return None
    words: list[str] = []
    for item in node.named_children:
        head = item
        if item.type == "binary_operator" and text(item.child_by_field_name("operator")) == "|":
            head = item.child_by_field_name("left") or item
        value = literal(head) if head.type == "string" else None
        if not isinstance(value, str) or value.startswith("-"):
            break
        words.append(value)
        if head is not item:
            break
    return words or None


def cli_commands(module_node: Node, module_name: str, loc: Callable[[Node], Loc]) -> list[CliDecl]:
    if module_name.startswith("Mix.Tasks."):
        segments = module_name.split(".")[3:]
        path = " ".join(kebab(s) for s in segments)
        return [CliDecl(path, loc(module_node), body=(module_node.start_byte, module_node.end_byte))]
    if not is_cli_module(module_name):
        return []
    found: dict[str, CliDecl] = {}

    def visit(node: Node, prefix: list[str]) -> None:
        if node.type == "call" and call_name(node) == "defmodule" and node is not module_node:
            return
        patterns: list[Node] = []
        if node.type == "call" and call_name(node) in ("def", "defp"):
            args = next(children(node, "arguments"), None)
            head = args.named_children[0] if args is not None and args.named_children else None
            if head is not None and head.type == "binary_operator":
                head = head.child_by_field_name("left")
            head_args = next(children(head, "arguments"), None) if head is not None and head.type == "call" else None
            patterns = list(head_args.named_children) if head_args is not None else []
        elif node.type == "stab_clause":
            args = next(children(node, "arguments"), None)
            patterns = list(args.named_children) if args is not None else []
        inner = prefix
        for pattern in patterns:
            words = _argv_pattern(pattern)
            if words:
                path = " ".join(prefix + words)
                found.setdefault(path, CliDecl(path, loc(pattern), body=(node.start_byte, node.end_byte)))
                if _has_tail(pattern):  # ["run" | rest]: a `case rest do` below adds sub-commands
                    inner = prefix + words
        for child in node.named_children:
            visit(child, inner)

    for child in module_node.named_children:
        visit(child, [])
    return sorted(found.values(), key=lambda c: c.path)


def _has_tail(pattern: Node) -> bool:
    last = pattern.named_children[-1] if pattern.named_children else None
    return last is not None and last.type == "binary_operator" and text(last.child_by_field_name("operator")) == "|"


def option_switches(call: Node) -> set[str]:
    """Switch names declared by ``OptionParser.parse(argv, strict: [...])`` (or ``switches:``)."""
    args = next(children(call, "arguments"), None)
    out: set[str] = set()
    for keywords in children(args, "keywords") if args is not None else []:
        for pair in children(keywords, "pair"):
            key = text(pair.child_by_field_name("key")).rstrip(": ")
            value = pair.child_by_field_name("value")
            if key in ("strict", "switches") and value is not None and value.type == "list":
                for inner in children(value, "keywords"):
                    for switch in children(inner, "pair"):
                        out.add(text(switch.child_by_field_name("key")).rstrip(": "))
    return out
