"""What a port's types look like on the wire, and what its parsing functions default to.

* **Encoder keys**: ``@derive {Jason.Encoder, only: [...]}`` (or ``except:``) and the keys an
  ``encode``/``to_map``-style function writes (map literal keys, ``Map.put(map, :key, ...)`` and
  other ``*put*`` helpers) are the keys that reach the wire; a struct field outside them never does.
* **Parse defaults**: in a ``%__MODULE__{field: expr}`` literal, ``expr || literal`` and helper calls
  ``get(map, "field", literal)`` give the value a response field takes when the server omits it,
  whatever the ``defstruct`` says.
"""

from __future__ import annotations

from collections.abc import Callable

from .model import Loc, Module
from .parse import Node, call_name, children, literal, text

__all__ = ["ENCODER_FUNCTIONS", "derive_encoder", "encoder_keys", "parse_defaults"]

ENCODER_FUNCTIONS = {"encode", "to_map", "to_json", "to_wire", "to_payload", "to_body", "as_json", "to_request"}


def _key(node: Node | None) -> str | None:
    value = literal(node) if node is not None and node.type in ("atom", "string") else None
    return value if isinstance(value, str) else None


def derive_encoder(value: Node, module: Module, loc: Loc) -> None:
    """``@derive {Jason.Encoder, only: [...]}`` / ``except:`` / ``@derive Jason.Encoder``."""
    if value.type == "alias" and text(value).endswith("Encoder"):
        module.encoder_keys, module.encoder_loc = None, loc  # every field
        module.encoder_all = module.encoder_derived = True
        return
    if value.type != "tuple" or not value.named_children or not text(value.named_children[0]).endswith("Encoder"):
        return
    for keywords in children(value, "keywords"):
        for pair in children(keywords, "pair"):
            key = text(pair.child_by_field_name("key")).rstrip(": ")
            keys = literal(pair.child_by_field_name("value"))
            if key in ("only", "except") and isinstance(keys, list):
                names = [str(k) for k in keys]
                if key == "only":
                    module.encoder_keys = names
                else:
                    module.encoder_except = names
                module.encoder_loc = loc
                module.encoder_derived = True


def _top_maps(node: Node) -> list[Node]:
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "map":
            out.append(current)
            continue  # nested maps are values, not keys of this body
        stack.extend(current.named_children)
    return out


def encoder_keys(body: Node) -> list[str]:
    """Keys an encoding function writes: top-level map literal keys and ``*put*(map, key, ...)``."""
    keys: list[str] = []
    for map_node in _top_maps(body):
        if next(children(map_node, "struct"), None) is not None:
            continue
        content = next(children(map_node, "map_content"), None)
        for item in content.named_children if content is not None else []:
            if item.type == "keywords":
                for pair in children(item, "pair"):
                    keys.append(text(pair.child_by_field_name("key")).rstrip(": ").strip('"'))
            elif item.type == "binary_operator" and text(item.child_by_field_name("operator")) == "=>":
                key = _key(item.child_by_field_name("left"))
                if key:
                    keys.append(key)
    stack = [body]
    while stack:
        current = stack.pop()
        stack.extend(current.named_children)
        if current.type == "call" and "put" in (call_name(current) or "").rsplit(".", 1)[-1]:
            args = next(children(current, "arguments"), None)
            items = list(args.named_children) if args is not None else []
            piped = current.parent is not None and text(current.parent.child_by_field_name("operator")) == "|>"
            position = 0 if piped else 1
            key = _key(items[position]) if len(items) > position else None
            if key:
                keys.append(key)
    return list(dict.fromkeys(keys))


def _default_of(value: Node) -> Node | None:
    """The literal fallback in ``x || literal`` or ``helper(map, key, literal)``."""
    if value.type == "binary_operator" and text(value.child_by_field_name("operator")) == "||":
        right = value.child_by_field_name("right")
        return right if right is not None and literal(right) is not _unknown() else None
    if value.type == "call":
        args = next(children(value, "arguments"), None)
        items = list(args.named_children) if args is not None else []
        if len(items) >= 3 and items[1].type in ("atom", "string") and literal(items[2]) is not _unknown():
            return items[2]
    return None


def _unknown() -> object:
    from .parse import UNKNOWN

    return UNKNOWN


def parse_defaults(node: Node, module: Module, loc: Callable[[Node], Loc]) -> None:
    """Fallbacks of the fields of ``%__MODULE__{...}`` literals built under ``node``."""
    stack = [node]
    while stack:
        current = stack.pop()
        stack.extend(current.named_children)
        if current.type != "map":
            continue
        struct = next(children(current, "struct"), None)
        if struct is None or text(struct) not in ("__MODULE__", module.name, module.name.rsplit(".", 1)[-1]):
            continue
        content = next(children(current, "map_content"), None)
        for keywords in children(content, "keywords") if content is not None else []:
            for pair in children(keywords, "pair"):
                field = text(pair.child_by_field_name("key")).rstrip(": ")
                value = pair.child_by_field_name("value")
                fallback = _default_of(value) if value is not None else None
                if fallback is not None:
                    module.parse_defaults.setdefault(field, (text(fallback), loc(fallback)))
