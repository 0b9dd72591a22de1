"""What the SDK puts on the wire besides paths: the headers it sets and the encoding per endpoint.

Headers: every string key of a dict literal or subscript assignment on a name containing
``headers`` (``headers["Accept"] = ...``, ``{"X-Tinker-Request-Type": ...}``) that looks like an
HTTP header, with its literal value when it has one. Header names held in module constants
(``RAW_RESPONSE_HEADER``) are resolved.

Encodings, per ``/api/v1`` call site: the request body is ``protobuf`` when the enclosing function
sets ``Content-Type`` to ``application/x-protobuf`` (``json|protobuf`` plus the ``if`` test when it
does so conditionally), ``json`` when the call passes ``body=``, else ``none``; ``Content-Encoding``
likewise. What a function sets as ``Accept`` applies to every endpoint it reaches (the poll loop
asks ``retrieve_future`` for protobuf results), through the call graph of :mod:`.endpoints`.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ._common import SourceFile, SourceIndex, location
from .endpoints import _Func, _graph, _path_text, _verb_of

__all__ = ["collect"]

_HEADER = re.compile(r"^(?:[A-Za-z][A-Za-z0-9]*-)+[A-Za-z0-9]+$|^(?:Accept|Authorization|Cookie)$", re.IGNORECASE)
_PROTOBUF = "application/x-protobuf"


def _constants(source: SourceFile) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments."""
    out: dict[str, str] = {}
    for node in source.tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node.value.value
    return out


def _text(node: ast.expr | None, consts: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    if isinstance(node, ast.Attribute):
        return consts.get(node.attr)
    return None


def _is_headers(node: ast.expr) -> bool:
    return "header" in ast.unparse(node).lower()


def _header_sets(tree: ast.AST, consts: dict[str, str]) -> list[tuple[str, str | None, ast.AST]]:
    """``(name, literal value or None, node)`` of every header this tree sets."""
    found: list[tuple[str, str | None, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Subscript) and _is_headers(target.value):
                name = _text(target.slice, consts)
                if name:
                    found.append((name, _text(node.value, consts), node))
        dicts: list[ast.Dict] = []
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            if any(_is_headers(t) for t in node.targets):
                dicts.append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Dict) and _is_headers(node.target):
            dicts.append(node.value)
        elif isinstance(node, ast.Call):
            dicts += [k.value for k in node.keywords if k.arg and "header" in k.arg and isinstance(k.value, ast.Dict)]
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
            dicts.append(node.value)  # ``default_headers`` / ``platform_headers`` return their dict
        for literal in dicts:
            for key, value in zip(literal.keys, literal.values, strict=True):
                name = _text(key, consts) if key is not None else None
                if name:
                    found.append((name, _text(value, consts), key or literal))
    return [(n, v, node) for n, v, node in found if _HEADER.match(n)]


def _condition(func: ast.AST, target: ast.AST) -> str | None:
    """The test of the innermost ``if`` of ``func`` that contains ``target``, or None."""
    best: str | None = None
    for node in ast.walk(func):
        if isinstance(node, ast.If) and any(sub is target for stmt in node.body for sub in ast.walk(stmt)):
            best = ast.unparse(node.test)
    return best


def _functions(source: SourceFile) -> list[tuple[str | None, ast.FunctionDef | ast.AsyncFunctionDef]]:
    out: list[tuple[str | None, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for node in source.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append((None, node))
        elif isinstance(node, ast.ClassDef):
            out += [(node.name, i) for i in node.body if isinstance(i, ast.FunctionDef | ast.AsyncFunctionDef)]
    return out


def _request_encoding(
    func: ast.AST, call: ast.Call, sets: list[tuple[str, str | None, ast.AST]]
) -> tuple[str, str | None, str | None]:
    """``(encoding, condition, content_encoding)`` of the body ``call`` sends."""
    content_encoding = next((v for n, v, _ in sets if n.lower() == "content-encoding"), None)
    gate = next((_condition(func, node) for n, _, node in sets if n.lower() == "content-encoding"), None)
    if content_encoding and gate:
        content_encoding = f"{content_encoding} if {gate}"
    for name, value, node in sets:
        if name.lower() == "content-type" and value == _PROTOBUF:
            condition = _condition(func, node)
            return ("json|protobuf" if condition else "protobuf"), condition, content_encoding
    has_body = any(k.arg in ("body", "json", "content") for k in call.keywords)
    verb = _verb_of(call)
    return ("json" if has_body or verb in ("POST", "PUT", "PATCH") else "none"), None, content_encoding


_Site = tuple[str, str | None, str | None, str, dict[str, Any]]  # encoding, condition, content-encoding, function


def _caller_condition(index: SourceIndex, function: str) -> str | None:
    """The ``if`` test under which some function of the package calls ``function``."""
    for source in index.files.values():
        for node in ast.walk(source.tree):
            if not isinstance(node, ast.If):
                continue
            for stmt in node.body:
                for sub in ast.walk(stmt):
                    if isinstance(sub, ast.Call) and ast.unparse(sub.func).rsplit(".", 1)[-1] == function:
                        return ast.unparse(node.test)
    return None


def _merge(index: SourceIndex, key: tuple[str, str], sites: list[_Site]) -> dict[str, Any]:
    """One endpoint's encoding over all its call sites: protobuf sites beside JSON ones make it
    ``json|protobuf``, under the protobuf site's own ``if`` or the one its caller is called under."""
    proto = [s for s in sites if "protobuf" in s[0]]
    chosen = proto[0] if proto else sites[0]
    encoding, condition = chosen[0], chosen[1]
    if proto and any(s[0] == "json" for s in sites) and encoding == "protobuf":
        encoding, condition = "json|protobuf", _caller_condition(index, chosen[3])
    return {
        "http_method": key[0],
        "path": key[1],
        "request": encoding,
        "condition": condition,
        "content_encoding": next((s[2] for s in sites if s[2]), None),
        "accept": [],
        "location": chosen[4],
    }


def collect(index: SourceIndex) -> dict[str, Any]:
    graph = _graph(index)
    headers: dict[str, dict[str, Any]] = {}
    sites: dict[tuple[str, str], list[_Site]] = {}
    accepts: list[tuple[str, str, dict[str, Any]]] = []  # (function key, value, location)
    for module, source in index.files.items():
        consts = _constants(source)
        for name, value, node in _header_sets(source.tree, consts):
            entry = headers.setdefault(name.lower(), {"name": name, "values": [], "locations": []})
            if value is not None and value not in entry["values"]:
                entry["values"].append(value)
            loc = location(source.path, getattr(node, "lineno", 0))
            if loc not in entry["locations"]:
                entry["locations"].append(loc)
        for owner, func in _functions(source):
            sets = _header_sets(func, consts)
            for name, value, node in sets:
                if name.lower() == "accept" and value:
                    start = graph.methods.get((owner, func.name)) if owner else None
                    start = start or _Func(module, owner, func.name, func)
                    for verb, path, _ in graph.reach(start):
                        accepts.append((f"{verb} {path}", value, location(source.path, getattr(node, "lineno", 0))))
            for call in (n for n in ast.walk(func) if isinstance(n, ast.Call)):
                args = [(p, a.lineno) for a in call.args[:2] if (p := _path_text(a)) is not None]
                if args:
                    encoding, condition, content_encoding = _request_encoding(func, call, sets)
                    site = (encoding, condition, content_encoding, func.name, location(source.path, args[0][1]))
                    sites.setdefault((_verb_of(call) or "?", args[0][0]), []).append(site)
    encodings = {key: _merge(index, key, found) for key, found in sites.items()}
    for key, value, loc in accepts:
        verb, path = key.split(" ", 1)
        found = encodings.get((verb, path))
        if found is not None and value not in [a["value"] for a in found["accept"]]:
            found["accept"].append({"value": value, "location": loc})
    for header in headers.values():
        header["values"].sort()
        header["locations"].sort(key=lambda loc: (loc["file"], loc["line"]))
    return {
        "headers": [headers[k] for k in sorted(headers)],
        "encodings": [encodings[k] for k in sorted(encodings, key=lambda k: (k[1], k[0]))],
    }
