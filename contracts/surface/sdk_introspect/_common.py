"""Shared helpers of the introspector: locations relative to site-packages, JSON-safe defaults,
and an index of the SDK's parsed source files."""

from __future__ import annotations

import ast
import dataclasses
import enum
import inspect
import os
from pathlib import Path
from typing import Any

__all__ = ["SourceIndex", "json_default", "location", "location_of"]

_SKIP_SUFFIXES = ("_test.py", "_pb2.py")


def _package_root() -> Path:
    import tinker

    return Path(tinker.__file__).resolve().parent


def location(path: str | Path, line: int) -> dict[str, Any]:
    """``{"file": "tinker/...", "line": n}`` for a file inside the installed package."""
    root = _package_root().parent
    try:
        rel = os.path.relpath(Path(path).resolve(), root)
    except ValueError:
        rel = str(path)
    return {"file": rel.replace(os.sep, "/"), "line": int(line)}


def location_of(obj: Any) -> dict[str, Any]:
    """Where ``obj`` (function, class) is defined, at its ``def``/``class`` line (after decorators)."""
    target = inspect.unwrap(obj) if callable(obj) else obj
    try:
        path = inspect.getsourcefile(target)
        lines, line = inspect.getsourcelines(target)
    except (OSError, TypeError):
        return {"file": "?", "line": 0}
    for offset, text in enumerate(lines):
        if text.lstrip().startswith(("def ", "async def ", "class ")):
            line += offset
            break
    return location(path or "?", line)


def json_default(value: Any) -> tuple[Any, str]:
    """``(json_value, repr)`` of a default; the JSON value is None when there is no JSON form."""
    text = repr(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value, text
    if isinstance(value, enum.Enum):
        return json_default(value.value)[0], text
    if isinstance(value, list | tuple):
        items = [json_default(v)[0] for v in value]
        return items, text
    if isinstance(value, dict):
        return {str(k): json_default(v)[0] for k, v in value.items()}, text
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json"), text
        except Exception:  # noqa: BLE001 - best effort: a repr is still recorded
            return None, text
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_default(getattr(value, f.name))[0] for f in dataclasses.fields(value)}, text
    return None, text


@dataclasses.dataclass
class SourceFile:
    path: Path
    module: str
    tree: ast.Module
    text: str


@dataclasses.dataclass
class SourceIndex:
    """Every non-test module of the installed ``tinker`` package, parsed once."""

    files: dict[str, SourceFile]  # by module name

    @classmethod
    def build(cls) -> SourceIndex:
        root = _package_root()
        files: dict[str, SourceFile] = {}
        for path in sorted(root.rglob("*.py")):
            if path.name.endswith(_SKIP_SUFFIXES):
                continue
            rel = path.relative_to(root.parent).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            text = path.read_text(encoding="utf-8")
            try:
                tree = ast.parse(text, filename=str(path))
            except SyntaxError:
                continue
            files[".".join(parts)] = SourceFile(path, ".".join(parts), tree, text)
        return cls(files)

    def class_node(self, cls: type) -> tuple[SourceFile, ast.ClassDef] | None:
        """The top-level ``class`` statement of ``cls``.

        ``tinker/__init__.py`` rewrites ``__module__`` of everything it re-exports to ``tinker``, which
        sends ``inspect.getsourcefile`` to the wrong file, so classes are found by name instead,
        preferring the module ``__module__`` still names.
        """
        candidates = [
            (source, node)
            for source in self.files.values()
            for node in source.tree.body
            if isinstance(node, ast.ClassDef) and node.name == cls.__name__
        ]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        files = {
            Path(v.__code__.co_filename).resolve()
            for v in vars(cls).values()
            if inspect.isfunction(v) and not v.__code__.co_filename.startswith("<")
        }
        by_file = [c for c in candidates if c[0].path.resolve() in files]
        if by_file:
            return by_file[0]
        wanted = set(getattr(cls, "__annotations__", {}))

        def overlap(candidate: tuple[SourceFile, ast.ClassDef]) -> int:
            names = {
                n.target.id
                for n in candidate[1].body
                if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
            }
            return len(names & wanted) - len(names - wanted)

        return max(candidates, key=overlap)

    def class_location(self, cls: type) -> dict[str, Any]:
        found = self.class_node(cls)
        return location(found[0].path, found[1].lineno) if found else {"file": "?", "line": 0}

    def by_suffix(self, suffix: str) -> SourceFile | None:
        """The module whose file path ends with ``suffix`` (``lib/telemetry.py``)."""
        for source in self.files.values():
            if source.path.as_posix().endswith(suffix):
                return source
        return None
