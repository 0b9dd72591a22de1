"""Which value a port's constant really takes by default: mode switches, counters and opt-in features.

* **Mode switches**: ``defp defaults_for(:beam), do: {@default_timeout, ...}`` beside
  ``defp defaults_for(_), do: {@python_timeout, ...}``: the catch-all clause is the default mode, so
  ``@default_timeout`` stands for ``@python_timeout`` there (:attr:`Module.mode_defaults`).
* **Counters**: a struct field starting at ``0`` that the module compares with a literal
  (``state.bad_request_retries < 3``) has that literal as its cap (:attr:`Module.counter_caps`).
* **Opt-in features**: a struct whose ``enabled`` field defaults to ``false`` holds the settings of a
  feature that is off by default; its values are not the port's defaults for anything else.
"""

from __future__ import annotations

from .flow import Clause, ModuleScope
from .model import Loc, Module
from .parse import Node, children, literal, text

__all__ = ["default_facts"]


def _body(clause: Clause) -> Node | None:
    block = next(children(clause.node, "do_block"), None)
    if block is not None:
        return block.named_children[-1] if block.named_children else None
    args = next(children(clause.node, "arguments"), None)
    for keywords in children(args, "keywords") if args is not None else []:
        for pair in children(keywords, "pair"):
            if text(pair.child_by_field_name("key")).rstrip(": ") == "do":
                return pair.child_by_field_name("value")
    return None


def _attrs(node: Node | None) -> list[str | None]:
    """``{@a, @b}`` → ["a", "b"]; ``@a`` → ["a"]; other elements None."""
    if node is None:
        return []
    items = node.named_children if node.type == "tuple" else [node]
    out: list[str | None] = []
    for item in items:
        operand = item.child_by_field_name("operand") if item.type == "unary_operator" else None
        out.append(text(operand) if operand is not None and operand.type == "identifier" else None)
    return out


def _catch_all(clause: Clause) -> bool:
    return bool(clause.params) and all(p.type == "identifier" for p in clause.params)


def _literal_patterns(clause: Clause) -> bool:
    return bool(clause.params) and all(p.type in ("atom", "string", "integer", "boolean") for p in clause.params)


def _mode_defaults(scope: ModuleScope, module: Module) -> None:
    groups: dict[tuple[str, int], list[Clause]] = {}
    for clause in scope.clauses:
        groups.setdefault((clause.name, clause.arity), []).append(clause)
    for clauses in groups.values():
        fallback = next((c for c in clauses if _catch_all(c)), None)
        if fallback is None:
            continue
        default = _attrs(_body(fallback))
        for clause in clauses:
            if not _literal_patterns(clause):
                continue
            mine = _attrs(_body(clause))
            if len(mine) != len(default):
                continue
            for attr, instead in zip(mine, default, strict=True):
                if attr and instead and attr != instead:
                    module.mode_defaults.setdefault(attr, instead)


def _comparisons(scope: ModuleScope, rel: str, out: dict[str, tuple[int, Loc]]) -> None:
    """``x.name < 3`` / ``name >= 3`` anywhere in the module: name -> (3, place)."""
    stack = [scope.node]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "binary_operator" or text(node.child_by_field_name("operator")) not in ("<", ">="):
            continue
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        name = text(left).rsplit(".", 1)[-1] if left is not None else ""
        cap = literal(right) if right is not None and right.type == "integer" else None
        if name.isidentifier() and isinstance(cap, int):
            out.setdefault(name, (cap, Loc(rel, node.start_point[0] + 1)))


def default_facts(files: list[tuple[str, list[ModuleScope]]], modules: dict[str, Module]) -> None:
    caps: dict[str, tuple[int, Loc]] = {}
    for rel, scopes in files:
        for scope in scopes:
            _comparisons(scope, rel, caps)
            module = modules.get(scope.name)
            if module is not None:
                _mode_defaults(scope, module)
    for module in modules.values():
        for field in module.struct or []:
            if field.default is not None and field.default.strip() == "0" and field.name in caps:
                module.counter_caps[field.name] = caps[field.name]
        enabled = next((f for f in module.struct or [] if f.name == "enabled"), None)
        module.opt_in = enabled is not None and (enabled.default or "").strip() == "false"
