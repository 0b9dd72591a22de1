"""tree-sitter access to Elixir source: the parser, node helpers and literal evaluation.

:func:`literal` turns a literal expression (numbers with ``_`` separators, strings without
interpolation, atoms, booleans, ``nil``, lists, maps, keyword lists, ``:timer.seconds(n)``) into a
Python value; anything else is :data:`UNKNOWN`. Module attributes are resolved through a lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import tree_sitter
import tree_sitter_elixir

__all__ = [
    "UNKNOWN",
    "Node",
    "call_name",
    "children",
    "first_error",
    "literal",
    "literal_source",
    "parser",
    "string_template",
    "text",
]

Node = tree_sitter.Node
UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()

_TIMER = {"seconds": 1000, "minutes": 60_000, "hours": 3_600_000}


@lru_cache(maxsize=1)
def parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_elixir.language()))


def text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def children(node: Node, kind: str | None = None) -> Iterator[Node]:
    for child in node.named_children:
        if kind is None or child.type == kind:
            yield child


def call_name(node: Node) -> str | None:
    """``def`` for ``def f(x)``, ``System.get_env`` for ``System.get_env("X")``."""
    if node.type != "call":
        return None
    target = node.child_by_field_name("target") or (node.named_children[0] if node.named_children else None)
    if target is None:
        return None
    if target.type == "identifier":
        return text(target)
    if target.type == "dot":
        return text(target).replace(" ", "")
    return None


def first_error(root: Node) -> Node | None:
    """The first ERROR or MISSING node under ``root`` (depth first), if any."""
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing or c.type == "ERROR"]))
    return root


def string_template(node: Node) -> str | None:
    """A string's content with each ``#{...}`` interpolation replaced by ``{}``."""
    if node.type != "string":
        return None
    parts = []
    for child in node.named_children:
        if child.type == "quoted_content":
            parts.append(text(child))
        elif child.type == "interpolation":
            parts.append("{}")
        elif child.type == "escape_sequence":
            parts.append(text(child)[1:])
    return "".join(parts)


def _number(raw: str) -> int | float | None:
    raw = raw.replace("_", "")
    try:
        if raw.lower().startswith(("0x", "0o", "0b")):
            return int(raw, 0)
        return float(raw) if any(c in raw for c in ".eE") else int(raw)
    except ValueError:
        return None


def literal(node: Node | None, attribute: Callable[[str], Any] | None = None) -> Any:
    """The Python value of a literal Elixir expression, or :data:`UNKNOWN`."""
    if node is None:
        return UNKNOWN
    kind = node.type
    if kind in ("integer", "float"):
        value = _number(text(node))
        return UNKNOWN if value is None else value
    if kind == "boolean":
        return text(node) == "true"
    if kind == "nil":
        return None
    if kind == "atom":
        return text(node).lstrip(":").strip('"')
    if kind == "string":
        return UNKNOWN if any(c.type == "interpolation" for c in node.named_children) else string_template(node)
    if kind == "list":
        items = [literal(c, attribute) for c in node.named_children]
        flat: list[Any] = []
        for item in items:
            flat.extend(item if isinstance(item, _Keywords) else [item])
        return UNKNOWN if any(i is UNKNOWN for i in flat) else flat
    if kind == "keywords":
        return _Keywords(_pairs(node, attribute))
    if kind == "map":
        if next(children(node, "struct"), None) is not None:
            return UNKNOWN  # %Struct{}: its value is the struct's own defaults
        content = next(children(node, "map_content"), None)
        pairs: dict[str, Any] = {}
        for item in content.named_children if content is not None else []:
            if item.type == "keywords":
                pairs.update(_pairs(item, attribute))
            elif item.type == "binary_operator" and text(item.child_by_field_name("operator")) == "=>":
                key = literal(item.child_by_field_name("left"), attribute)
                if not isinstance(key, str | int | float | bool):
                    return UNKNOWN
                pairs[str(key) if not isinstance(key, str) else key] = literal(
                    item.child_by_field_name("right"), attribute
                )
        return pairs
    if kind == "unary_operator":
        operand = node.child_by_field_name("operand")
        op = text(node.child_by_field_name("operator"))
        if op == "-":
            value = literal(operand, attribute)
            return -value if isinstance(value, int | float) and not isinstance(value, bool) else UNKNOWN
        if op == "@" and operand is not None and operand.type == "identifier" and attribute is not None:
            return attribute(text(operand))
        return UNKNOWN
    if kind == "binary_operator" and text(node.child_by_field_name("operator")) == "*":
        left = literal(node.child_by_field_name("left"), attribute)
        right = literal(node.child_by_field_name("right"), attribute)
        if isinstance(left, int | float) and isinstance(right, int | float):
            return left * right
        return UNKNOWN
    if kind == "call" and call_name(node) in {f":timer.{k}" for k in _TIMER}:
        args = next(children(node, "arguments"), None)
        value = literal(args.named_children[0], attribute) if args is not None and args.named_children else UNKNOWN
        scale = _TIMER[str(call_name(node)).rsplit(".", 1)[-1]]
        return value * scale if isinstance(value, int | float) else UNKNOWN
    return UNKNOWN


class _Keywords(list[Any]):
    """A keyword list's pairs, flattened into the enclosing list."""


def _pairs(node: Node, attribute: Callable[[str], Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in children(node, "pair"):
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        name = text(key).rstrip(": ").strip('"')
        out[name] = literal(value, attribute)
    return out


def literal_source(source: str | None, attribute: Callable[[str], Any] | None = None) -> Any:
    """:func:`literal` of a source snippet (a default's text), or :data:`UNKNOWN`."""
    if source is None:
        return UNKNOWN
    tree = parser().parse(source.encode("utf-8"))
    if tree.root_node.has_error or not tree.root_node.named_children:
        return UNKNOWN
    return literal(tree.root_node.named_children[0], attribute)
