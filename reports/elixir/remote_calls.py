"""Remote calls in Elixir source, checked against a port's public functions.

An adapter script (``scenarios/adapters/tinkex_adapter.exs``) is never compiled in CI, so a call to
a function the port does not have, or with the wrong number of arguments, would only show when a
port maintainer runs it. :func:`remote_calls` finds every ``Module.f(...)`` call with its arity:
plain, piped (``x |> M.f(y)`` has arity 2), captured (``&M.f/2``) or without parentheses, module
aliases resolved (``alias A.B``, ``alias A.{B, C}``, ``alias A.B, as: C``). :func:`check_calls` then
names each call under a module prefix that no public function of that module fits (by name and
arity, between the arity without default arguments and the full arity). :func:`strict_matches`
finds ``{:ok, _} = Module.f(...)`` matches, which turn an SDK's ``{:error, _}`` into a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .model import PortSurface
from .parse import Node, children, parser, text

__all__ = ["PublicFunction", "RemoteCall", "check_calls", "public_functions", "remote_calls", "strict_matches"]


@dataclass(frozen=True)
class RemoteCall:
    module: str  # alias resolved: "Tinkex.ServiceClient"
    function: str
    arity: int
    line: int
    text: str  # the call as written, shortened

    def __str__(self) -> str:
        return f"{self.module}.{self.function}/{self.arity}"


@dataclass(frozen=True)
class PublicFunction:
    module: str
    function: str
    arity: int
    min_arity: int
    loc: str = ""


def public_functions(surface: PortSurface) -> list[PublicFunction]:
    """The public functions of an extracted port checkout (``reports.elixir.extract_port``)."""
    return [
        PublicFunction(m.name, f.name, f.arity, f.min_arity, str(f.loc))
        for m in surface.modules
        for f in m.functions
        if f.public
    ]


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _aliases(root: Node) -> dict[str, str]:
    """``alias`` declarations: short name -> full module name."""
    out: dict[str, str] = {}
    for node in _walk(root):
        if node.type != "call" or text(node.child_by_field_name("target") or node.children[0]) != "alias":
            continue
        args = next(children(node, "arguments"), None)
        if args is None or not args.named_children:
            continue
        first = args.named_children[0]
        if first.type == "alias":
            full = text(first)
            short = full.rsplit(".", 1)[-1]
            keywords = next(children(args, "keywords"), None)
            for pair in children(keywords, "pair") if keywords is not None else []:
                if text(pair.named_children[0]).strip().rstrip(":").strip() == "as":
                    short = text(pair.named_children[1])
            out[short] = full
        elif first.type == "dot" and first.named_children and first.named_children[-1].type == "tuple":
            base = text(first.named_children[0])
            for item in children(first.named_children[-1], "alias"):
                out[text(item).rsplit(".", 1)[-1]] = f"{base}.{text(item)}"
    return out


def _resolve(module: str, aliases: dict[str, str]) -> str:
    head, _, rest = module.partition(".")
    full = aliases.get(head)
    return module if full is None else f"{full}.{rest}" if rest else full


def _target(call: Node) -> tuple[str, str] | None:
    """``("Tinkex.ServiceClient", "new")`` for a call whose target is ``Module.function``."""
    dot = call.child_by_field_name("target") or (call.children[0] if call.children else None)
    if dot is None or dot.type != "dot" or len(dot.named_children) != 2:
        return None
    module, function = dot.named_children
    if module.type != "alias" or function.type != "identifier":
        return None
    return text(module), text(function)


def _arity(call: Node) -> int:
    args = next(children(call, "arguments"), None)
    count = len(args.named_children) if args is not None else 0
    return count + (1 if any(c.type == "do_block" for c in call.children) else 0)


def remote_calls(source: bytes) -> list[RemoteCall]:
    """Every remote call of ``source`` with its arity, in source order."""
    root = parser().parse(source).root_node
    aliases = _aliases(root)
    found: dict[int, RemoteCall] = {}
    captured: set[int] = set()
    for node in _walk(root):
        if node.type == "unary_operator" and text(node.children[0]) == "&" and len(node.named_children) == 1:
            inner = node.named_children[0]  # M.f/2
            if inner.type == "binary_operator" and len(inner.named_children) == 2:
                call, arity = inner.named_children
                target = _target(call) if call.type == "call" else None
                if target is not None and arity.type == "integer":
                    captured.add(call.start_byte)
                    found[call.start_byte] = _call(target, int(text(arity)), call, aliases)
        elif node.type == "call" and node.start_byte not in captured:
            target = _target(node)
            if target is None or target[0] in ("", "__MODULE__"):
                continue
            parent = node.parent
            piped = (
                parent is not None
                and parent.type == "binary_operator"
                and parent.named_children[-1] == node
                and text(parent.children[1]) == "|>"
            )
            found.setdefault(node.start_byte, _call(target, _arity(node) + int(piped), node, aliases))
    return [found[k] for k in sorted(found)]


def _call(target: tuple[str, str], arity: int, node: Node, aliases: dict[str, str]) -> RemoteCall:
    snippet = " ".join(text(node).split())
    return RemoteCall(
        _resolve(target[0], aliases),
        target[1],
        arity,
        node.start_point[0] + 1,
        snippet if len(snippet) <= 80 else snippet[:77] + "...",
    )


def check_calls(calls: Iterable[RemoteCall], functions: Iterable[PublicFunction], prefix: str) -> list[str]:
    """One line per call under ``prefix`` (e.g. ``Tinkex``) that no public function fits."""
    by_module: dict[str, list[PublicFunction]] = {}
    for f in functions:
        by_module.setdefault(f.module, []).append(f)
    problems = []
    for call in calls:
        if call.module != prefix and not call.module.startswith(prefix + "."):
            continue
        public = by_module.get(call.module)
        if public is None:
            problems.append(f"line {call.line}: {call}: no module {call.module} with public functions")
            continue
        named = [f for f in public if f.function == call.function]
        if not named:
            problems.append(
                f"line {call.line}: {call}: {call.module} has no public function {call.function} (`{call.text}`)"
            )
        elif not any(f.min_arity <= call.arity <= f.arity for f in named):
            takes = ", ".join(
                sorted(
                    {f"{f.function}/{f.min_arity}" + (f"..{f.arity}" if f.arity > f.min_arity else "") for f in named}
                )
            )
            problems.append(f"line {call.line}: {call}: wrong number of arguments, {call.module} has {takes}")
    return problems


def strict_matches(source: bytes, prefix: str) -> list[str]:
    """``{:ok, ...} = Module.f(...)`` under ``prefix``: an ``{:error, _}`` answer would raise MatchError."""
    root = parser().parse(source).root_node
    aliases = _aliases(root)
    problems = []
    for node in _walk(root):
        if node.type != "binary_operator" or len(node.named_children) != 2 or text(node.children[1]) != "=":
            continue
        left, right = node.named_children
        if left.type != "tuple" or not left.named_children or text(left.named_children[0]) != ":ok":
            continue
        target = _target(right) if right.type == "call" else None
        if target is not None and _resolve(target[0], aliases).startswith(prefix):
            problems.append(f"line {node.start_point[0] + 1}: `{' '.join(text(node).split())[:80]}`")
    return problems
