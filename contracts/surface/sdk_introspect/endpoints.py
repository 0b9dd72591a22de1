"""Which ``/api/v1`` endpoints a public method reaches: a best-effort static call-graph walk.

From the method's own source we follow calls into (a) methods of the same class (``self.x()``),
(b) ``InternalClientHolder`` methods (any receiver whose text mentions ``holder``), (c) resource
methods of the generated client (``client.models.create()``, ``client.futures.with_raw_response
.retrieve()``) and (d) module-level functions of the package called by name, up to a fixed depth.
Every string literal or f-string containing ``/api/v1/`` on the way is an endpoint; its verb is the
name of the call it is the first argument of (``get``/``_post``/``httpx.delete`` ...).
"""

from __future__ import annotations

import ast
import inspect
import re
from collections import deque
from dataclasses import dataclass
from typing import Any

from ._common import SourceIndex, location

__all__ = ["collect_all", "endpoints_of_method"]

API_PREFIX = "/api/v1/"
_VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
_RESOURCES = ("service", "training", "models", "weights", "sampling", "futures", "telemetry")
_MAX_DEPTH = 6
_PATH = re.compile(r"/api/v1/[\w{}().\[\]'\"/-]*[\w}]")


@dataclass(frozen=True)
class _Func:
    module: str
    cls: str | None
    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef


def _path_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append("{" + ast.unparse(value.value) + "}")
        text = "".join(parts)
    else:
        return None
    start = text.find(API_PREFIX)
    if start < 0 or any(c.isspace() for c in text):
        return None
    path = text[start:].split("?", 1)[0]
    return path if _PATH.fullmatch(path) else None  # prose mentioning a path is not a call


def _literal_text(node: ast.Constant | ast.JoinedStr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    first = node.values[0] if node.values else None
    return str(first.value) if isinstance(first, ast.Constant) else ""


def _verb_of(call: ast.Call) -> str | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    verb = _VERBS.get(name.lstrip("_").lower())
    if verb:
        return verb
    if name.lstrip("_") == "request" and call.args:
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value.upper()
    return None


def literals_in(node: ast.AST) -> list[tuple[str, str, int]]:
    """``(verb, path, line)`` of every API path literal under ``node``."""
    found: dict[int, tuple[str, str, int]] = {}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            candidates = list(sub.args[:2]) + [k.value for k in sub.keywords if k.arg in ("url", "path")]
            for arg in candidates:
                path = _path_text(arg)
                if path is not None:
                    found[id(arg)] = (_verb_of(sub) or "?", path, arg.lineno)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant | ast.JoinedStr) and id(sub) not in found:
            path = _path_text(sub)
            if path is not None and _literal_text(sub).startswith(API_PREFIX) and not _inside_fstring(sub, node):
                found[id(sub)] = ("?", path, sub.lineno)
    return sorted(found.values(), key=lambda t: (t[2], t[1]))


def _inside_fstring(target: ast.AST, root: ast.AST) -> bool:
    for sub in ast.walk(root):
        if isinstance(sub, ast.JoinedStr) and sub is not target and any(v is target for v in sub.values):
            return True
    return False


class _Graph:
    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self.methods: dict[tuple[str, str], _Func] = {}  # (class, name)
        self.functions: dict[str, list[_Func]] = {}  # module-level, by name
        self.resources: dict[str, str] = {}  # "models" -> "AsyncModelsResource"
        self.classes: set[str] = set()
        for module, source in index.files.items():
            for node in source.tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.functions.setdefault(node.name, []).append(_Func(module, None, node.name, node))
                elif isinstance(node, ast.ClassDef):
                    self.classes.add(node.name)
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                            self.methods.setdefault((node.name, item.name), _Func(module, node.name, item.name, item))
                    short = module.rsplit(".", 1)[-1]
                    if (
                        module.startswith("tinker.resources.")
                        and short in _RESOURCES
                        and node.name.startswith("Async")
                        and node.name.endswith("Resource")
                    ):
                        self.resources[short] = node.name

    def _returns_class(self, owner: str | None, expr: ast.expr) -> str | None:
        """For ``self._rest_client()``: the class named by that method's return annotation."""
        if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and owner):
            return None
        if ast.unparse(expr.func.value) != "self" or (owner, expr.func.attr) not in self.methods:
            return None
        returns = self.methods[(owner, expr.func.attr)].node.returns
        name = ast.unparse(returns).strip("'\"").rsplit(".", 1)[-1] if returns is not None else ""
        return name if name in self.classes else None

    def _attribute_call(self, func: _Func, target: ast.Attribute) -> _Func | None:
        chain = ast.unparse(target.value)
        resource = next((p for p in chain.split(".") if p in self.resources), None)
        if resource is not None:
            return self.methods.get((self.resources[resource], target.attr))
        if chain == "self" and func.cls:
            return self.methods.get((func.cls, target.attr))
        if chain in self.classes:  # SamplingClient.create(...)
            return self.methods.get((chain, target.attr))
        if "holder" in chain.lower():
            return self.methods.get(("InternalClientHolder", target.attr))
        owner = self._returns_class(func.cls, target.value)
        return self.methods.get((owner, target.attr)) if owner else None

    def callees(self, func: _Func) -> list[_Func]:
        out: list[_Func] = []
        for sub in ast.walk(func.node):
            if isinstance(sub, ast.Attribute):
                # Calls, and bound methods passed along (``retry(self._send_request)``).
                callee = self._attribute_call(func, sub)
                if callee is not None:
                    out.append(callee)
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                candidates = self.functions.get(sub.func.id, [])
                same = [c for c in candidates if c.module == func.module]
                if same or len(candidates) == 1:
                    out.append((same or candidates)[0])
        return out

    def reach(self, start: _Func) -> list[tuple[str, str, dict[str, Any]]]:
        seen = {id(start.node)}
        queue = deque([(start, 0)])
        found: dict[tuple[str, str], dict[str, Any]] = {}
        while queue:
            func, depth = queue.popleft()
            source = self.index.files[func.module]
            for verb, path, line in literals_in(func.node):
                key = (verb, path)
                if key not in found:
                    found[key] = location(source.path, line)
            if depth >= _MAX_DEPTH:
                continue
            for callee in self.callees(func):
                if id(callee.node) not in seen:
                    seen.add(id(callee.node))
                    queue.append((callee, depth + 1))
        return [(verb, path, loc) for (verb, path), loc in sorted(found.items())]


_GRAPHS: dict[int, _Graph] = {}


def _graph(index: SourceIndex) -> _Graph:
    if id(index) not in _GRAPHS:
        _GRAPHS[id(index)] = _Graph(index)
    return _GRAPHS[id(index)]


def endpoints_of_method(index: SourceIndex, cls: type, name: str, func: Any) -> list[dict[str, Any]]:
    graph = _graph(index)
    owner = next((k for k in cls.__mro__ if name in vars(k)), cls)
    start = graph.methods.get((owner.__name__, name))
    if start is None or not inspect.isfunction(inspect.unwrap(func)):
        return []
    return [{"http_method": verb, "path": path, "location": loc} for verb, path, loc in graph.reach(start)]


def collect_all(index: SourceIndex, clients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every endpoint literal in the package, with the public methods that reach it."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for source in index.files.values():
        for verb, path, line in literals_in(source.tree):
            entry = table.setdefault((verb, path), {"http_method": verb, "path": path, "locations": [], "callers": []})
            loc = location(source.path, line)
            if loc not in entry["locations"]:
                entry["locations"].append(loc)
    for client in clients:
        for method in client["methods"]:
            for ref in method["endpoints"]:
                entry = table.setdefault(
                    (ref["http_method"], ref["path"]),
                    {
                        "http_method": ref["http_method"],
                        "path": ref["path"],
                        "locations": [ref["location"]],
                        "callers": [],
                    },
                )
                caller = f"{client['name']}.{method['name']}"
                if caller not in entry["callers"]:
                    entry["callers"].append(caller)
    for entry in table.values():
        entry["locations"].sort(key=lambda loc: (loc["file"], loc["line"]))
        entry["callers"].sort()
    return [table[key] for key in sorted(table, key=lambda k: (k[1], k[0]))]
