"""Result fields the SDK's types call optional but its code asserts present (``assert x is not None``).

A field such as ``UntypedAPIFuture.sample_sequence_ids`` is ``Optional`` in ``tinker.types`` but
``assert sample_sequence_ids is not None`` in the sampling client: a server that leaves it out
parses fine and then fails the SDK. Every ``assert <name or attribute> is not None`` outside
``tinker/types`` is traced to the attribute it was read from, in the same function
(``model_name = self._info.model_data.model_name``) or, for a parameter, at the function's call
sites (``_attach_sequence_ids(response, untyped_future.sample_sequence_ids)``). The attribute's
owner gives the type: a name bound from an expression that names a type with that optional field
(``result = await _APIFuture(types.SaveWeightsForSamplerResponseInternal, ...)``) or calls a
function whose return annotation names one; else an owner whose snake-case spelling is the type's
(``model_data`` -> ``ModelData``); else the one type that has an optional field of that name.
Assertions on the client's own state (``self.x``) and fields no type has are left out.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ._common import SourceFile, SourceIndex, location

__all__ = ["collect"]

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _asserted(node: ast.Assert) -> ast.expr | None:
    """``x`` of ``assert x is not None`` (a name or an attribute), else None."""
    if not isinstance(node.test, ast.Compare):
        return None
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.IsNot):
        return None
    if not (isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):
        return None
    return test.left if isinstance(test.left, ast.Name | ast.Attribute) else None


def _bound(func: _Function, name: str, before: int) -> ast.expr | None:
    """The value last assigned to ``name`` in ``func`` before line ``before``."""
    value: ast.expr | None = None
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and node.lineno < before and node.value is not None:
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                if value is None or node.lineno >= value.lineno:
                    value = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            if node.value is not None and node.lineno < before and (value is None or node.lineno >= value.lineno):
                value = node.value
    return value


class _Tracer:
    def __init__(self, index: SourceIndex, optional: dict[str, set[str]]) -> None:
        self.index = index
        self.optional = optional  # field name -> types with it optional
        self.functions = [
            (source, node)
            for source in index.files.values()
            if not source.module.startswith("tinker.types")
            for node in ast.walk(source.tree)
            if isinstance(node, _Function)
        ]
        self.by_name: dict[str, list[_Function]] = {}
        for _, node in self.functions:
            self.by_name.setdefault(node.name, []).append(node)

    def _call_sites(self, func: _Function, parameter: str) -> list[tuple[_Function, ast.expr]]:
        """The argument passed for ``parameter`` wherever ``func`` is called by name."""
        params = [a.arg for a in func.args.posonlyargs + func.args.args]
        position = params.index(parameter) if parameter in params else None
        if position is not None and params[:1] == ["self"]:
            position -= 1
        found: list[tuple[_Function, ast.expr]] = []
        for _, caller in self.functions:
            for call in (n for n in ast.walk(caller) if isinstance(n, ast.Call)):
                callee = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
                if callee != func.name:
                    continue
                argument = next((k.value for k in call.keywords if k.arg == parameter), None)
                if argument is None and position is not None and 0 <= position < len(call.args):
                    argument = call.args[position]
                if argument is not None:
                    found.append((caller, argument))
        return found

    def _attributes(self, func: _Function, expr: ast.expr, line: int) -> list[tuple[_Function, ast.Attribute]]:
        """The attribute reads ``expr`` comes from: itself, what it was assigned, or its call sites."""
        if isinstance(expr, ast.Attribute):
            return [(func, expr)]
        if not isinstance(expr, ast.Name):
            return []
        value = _bound(func, expr.id, line)
        if isinstance(value, ast.Attribute):
            return [(func, value)]
        if value is None and expr.id in {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}:
            return [(caller, arg) for caller, arg in self._call_sites(func, expr.id) if isinstance(arg, ast.Attribute)]
        return []

    def _owner_type(self, func: _Function, owner: ast.expr, line: int, candidates: set[str]) -> str | None:
        if isinstance(owner, ast.Name):
            value = _bound(func, owner.id, line)
            if value is not None:
                nodes = list(ast.walk(value))
                for call in (n for n in nodes if isinstance(n, ast.Call)):  # and what a called function returns
                    callee = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                    nodes += [n for f in self.by_name.get(callee, []) if f.returns for n in ast.walk(f.returns)]
                named = {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "") for n in nodes}
                hits = sorted(named & candidates)
                if hits:
                    return hits[0]
        spelled = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        by_name = [c for c in sorted(candidates) if _snake(c) == spelled]
        if by_name:
            return by_name[0]
        return next(iter(candidates)) if len(candidates) == 1 else None

    def trace(self, source: SourceFile, func: _Function, node: ast.Assert, expr: ast.expr) -> list[dict[str, Any]]:
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            return []  # the client's own state
        out = []
        for where, attribute in self._attributes(func, expr, node.lineno):
            candidates = self.optional.get(attribute.attr, set())
            owner = self._owner_type(where, attribute.value, attribute.lineno, candidates) if candidates else None
            if owner is not None:
                out.append(
                    {
                        "type": owner,
                        "field": attribute.attr,
                        "expression": ast.unparse(node.test),
                        "location": location(source.path, node.lineno),
                    }
                )
        return out


def collect(index: SourceIndex, types: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every (type, optional field) the SDK asserts present, with the assertion's ``file:line``."""
    optional: dict[str, set[str]] = {}
    for t in types:
        if t["kind"] in ("response", "model"):
            for f in t["fields"]:
                if not f["required"]:
                    optional.setdefault(f["wire_name"], set()).add(t["name"])
    tracer = _Tracer(index, optional)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for source, func in tracer.functions:
        for node in (n for n in ast.walk(func) if isinstance(n, ast.Assert)):
            expr = _asserted(node)
            if expr is None:
                continue
            for item in tracer.trace(source, func, node, expr):
                found.setdefault((item["type"], item["field"]), item)
    return [found[k] for k in sorted(found)]
