"""Environment variables the SDK reads: ``os.environ.get``, ``os.getenv``, ``os.environ[...]``."""

from __future__ import annotations

import ast
from typing import Any

from ._common import SourceIndex, location

__all__ = ["collect", "env_reads"]


def _const(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def env_reads(tree: ast.AST) -> list[tuple[str, str | None, int]]:
    """``(name, default, line)`` of every environment read with a literal name under ``tree``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "environ.get", "os.getenv", "getenv") and node.args:
                name = _const(node.args[0])
                default = _const(node.args[1]) if len(node.args) > 1 else None
                if name:
                    found.append((name, default, node.lineno))
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
            name = _const(node.slice)
            if name:
                found.append((name, None, node.lineno))
    return found


def collect(index: SourceIndex) -> list[dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for source in index.files.values():
        for name, default, line in env_reads(source.tree):
            entry = table.setdefault(name, {"name": name, "default": None, "locations": []})
            if default is not None and entry["default"] is None:
                entry["default"] = default
            entry["locations"].append(location(source.path, line))
    for entry in table.values():
        entry["locations"].sort(key=lambda loc: (loc["file"], loc["line"]))
    return [table[k] for k in sorted(table)]
