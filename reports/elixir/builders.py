"""Which keys every construction of a struct sets to a value that cannot be nil.

A derived encoder writes an unset field as ``null``; a field every builder fills never is unset.
:func:`set_keys` looks at each ``%Struct{key: value}`` construction (not a pattern, not an update)
and keeps the keys whose value is surely not nil: a literal other than ``nil``, a field of a
parameter (``state.model_id``, taken as filled by the code that made that state), or a parameter
whose ``@spec`` type leaves nil out. A local variable or a lookup (``Keyword.get(opts, :ttl)``) may
be nil. A struct's result is the intersection over all its constructions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .model import Function, PortSurface
from .parse import Node, children, text

__all__ = ["set_keys"]

_LITERALS = {"string", "integer", "float", "list", "map", "tuple", "boolean", "charlist", "sigil"}
_FIELD = re.compile(r"^[a-z_]\w*(?:\.[a-z_]\w*)+$")


def _spec_args(spec: str) -> list[str]:
    """``f(String.t(), integer() | nil) :: ...`` -> ``["String.t()", "integer() | nil"]``."""
    head = spec.split("::", 1)[0]
    start = head.find("(")
    if start < 0:
        return []
    args, depth, current = [], 0, ""
    for ch in head[start + 1 : head.rfind(")")]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += ch
    return [*args, current.strip()] if current.strip() else args


def _never_nil(value: Node, function: Function | None) -> bool:
    if value.type == "atom" or value.type in _LITERALS:
        return text(value) != "nil"
    source = text(value).strip()
    if _FIELD.match(source):
        return function is not None and source.split(".", 1)[0] in {p.name for p in function.params}
    if value.type == "identifier" and function is not None:
        names = [p.name for p in function.params]
        if source not in names:
            return False
        types = [_spec_args(spec) for spec in function.specs]
        index = names.index(source)
        return bool(types) and all(
            len(t) == len(names) and "nil" not in t[index] and not t[index].startswith(("any", "term")) for t in types
        )
    return False


def _in_attribute(node: Node) -> bool:
    """Inside ``@type t :: %__MODULE__{...}`` or another module attribute: a type, not a value."""
    current = node.parent
    while current is not None:
        if current.type == "unary_operator" and text(current).startswith("@"):
            return True
        current = current.parent
    return False


def _within(node: Node, outer: Node | None) -> bool:
    return outer is not None and outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


def _in_head(node: Node) -> bool:
    """In a ``def`` head or a clause's left side (``%S{k: v} ->``): a pattern, not a value."""
    current = node.parent
    while current is not None:
        if current.type == "stab_clause" and _within(node, current.child_by_field_name("left")):
            return True
        if current.type == "call" and text(current.children[0]) in ("def", "defp"):
            args = next(children(current, "arguments"), None)
            return args is not None and bool(args.named_children) and _within(node, args.named_children[0])
        current = current.parent
    return False


def _is_construction(node: Node) -> bool:
    if _in_attribute(node) or _in_head(node):
        return False
    parent = node.parent
    if parent is not None and parent.type == "binary_operator":
        operator = text(parent.child_by_field_name("operator"))
        if operator in ("=", "<-") and parent.child_by_field_name("left") == node:
            return False  # a pattern
    content = next(children(node, "map_content"), None)
    first = content.named_children[0] if content is not None and content.named_children else None
    return not (
        first is not None and first.type == "binary_operator" and text(first.child_by_field_name("operator")) == "|"
    )


def _function_at(surface: PortSurface, rel: str, node: Node) -> Function | None:
    """The function whose ``def`` encloses ``node`` (the closest def line above it)."""
    line = node.start_point[0] + 1
    candidates = [f for m in surface.modules for f in m.functions if f.loc.file == rel and f.loc.line <= line]
    return max(candidates, key=lambda f: f.loc.line, default=None)


def _module_at(surface: PortSurface, rel: str, node: Node) -> str:
    line = node.start_point[0] + 1
    modules = [m for m in surface.modules if m.loc.file == rel and m.loc.line <= line]
    return max(modules, key=lambda m: m.loc.line).name.rsplit(".", 1)[-1] if modules else ""


def set_keys(surface: PortSurface, trees: Iterable[tuple[str, Node]]) -> dict[str, set[str]]:
    """Struct short name -> keys every construction of it sets to a surely non-nil value."""
    out: dict[str, set[str]] = {}
    for rel, root in trees:
        stack = [root]
        while stack:
            node = stack.pop()
            stack.extend(node.named_children)
            struct = next(children(node, "struct"), None) if node.type == "map" else None
            if struct is None or not _is_construction(node):
                continue
            name = text(struct).lstrip("%").rsplit(".", 1)[-1]
            if name == "__MODULE__":
                name = _module_at(surface, rel, node)
            if not name[:1].isupper():
                continue
            function = _function_at(surface, rel, node)
            content = next(children(node, "map_content"), None)
            keys = set()
            for keywords in children(content, "keywords") if content is not None else []:
                for pair in children(keywords, "pair"):
                    value = pair.child_by_field_name("value")
                    if value is not None and _never_nil(value, function):
                        keys.add(text(pair.child_by_field_name("key")).rstrip(": ").strip())
            out[name] = out[name] & keys if name in out else keys
    return out
