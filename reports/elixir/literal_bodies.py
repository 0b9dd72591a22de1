"""Request bodies a port builds as plain maps where it calls the function that posts them.

A port may have a struct (with an encoder) for a request and still post a map literal built at the
call site: ``session_api.heartbeat(%{session_id: id}, opts)`` sends ``session_id`` only, whatever the
struct holds. :func:`literal_bodies` finds, for every function that posts to an API path, the calls
to it (by any module or variable, as behaviours are called through one) that pass a map literal
that is not a struct (the first such argument is the body), and records the keys of that map.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import LiteralBody, Loc, PortSurface
from .parse import Node, call_name, children
from .wire_view import encoder_keys

__all__ = ["literal_bodies"]


def _posting_functions(surface: PortSurface) -> dict[str, str]:
    """Function name -> the one path it posts to (names posting to several paths are ambiguous)."""
    paths: dict[str, set[str]] = {}
    for literal in surface.paths:
        if literal.function and literal.verb in (None, "POST", "PUT", "PATCH"):
            paths.setdefault(literal.function, set()).add(literal.path)
    return {name: next(iter(found)) for name, found in paths.items() if len(found) == 1}


def _plain_map(node: Node) -> bool:
    return node.type == "map" and next(children(node, "struct"), None) is None


def literal_bodies(surface: PortSurface, trees: Iterable[tuple[str, Node]]) -> None:
    """Fill ``surface.literal_bodies`` from the parsed files ``(relative path, root node)``."""
    posting = _posting_functions(surface)
    for rel, root in trees:
        stack = [root]
        while stack:
            node = stack.pop()
            stack.extend(node.named_children)
            name = call_name(node) if node.type == "call" else None
            if name is None or "." not in name:
                continue  # a local call is the posting function's own module building its request
            path = posting.get(name.rsplit(".", 1)[-1])
            args = next(children(node, "arguments"), None)
            body = next((a for a in args.named_children if _plain_map(a)), None) if args is not None else None
            if path is None or body is None:
                continue
            surface.literal_bodies.append(LiteralBody(path, encoder_keys(body), Loc(rel, body.start_point[0] + 1)))
