"""YAML with line numbers: every value of a document knows the line it came from.

PyYAML's composer gives each node a start mark. :func:`load_located` builds plain Python data from
the node tree (safe scalars only) and records, for every path of keys and indices, the line of the
key (for mapping entries) or of the item (for sequence entries). :func:`line_for` turns a pydantic
error location back into the nearest recorded line, so a bad scenario file is reported as
``file:line: field: problem``. Duplicate keys, which PyYAML would silently collapse, are errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Located", "Path_", "ScenarioFileError", "line_for", "load_located", "load_located_file", "relocate"]

Path_ = tuple[str | int, ...]


class ScenarioFileError(ValueError):
    """A scenario (or known-failing) file is unusable; the message is ``file:line: field: problem``."""

    def __init__(self, source: str, line: int | None, where: str, problem: str) -> None:
        self.source = source
        self.line = line
        self.where = where
        self.problem = problem
        location = f"{source}:{line}" if line is not None else source
        super().__init__(f"{location}: {where}: {problem}" if where else f"{location}: {problem}")


@dataclass(frozen=True)
class Located:
    """Plain data of one YAML document and the 1-based line of every key path in it."""

    data: Any
    source: str
    lines: dict[Path_, int] = field(default_factory=dict)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[Path_, int] = {}
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalars.construct_object(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        raise ScenarioFileError(self.source, node.start_mark.line + 1, _dotted(path), "unsupported YAML node")

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                for source in value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]:
                    extra = self.build(source, path)
                    if not isinstance(extra, dict):
                        raise ScenarioFileError(self.source, line, _dotted(path), "'<<' must merge a mapping")
                    merged = {**extra, **merged}
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioFileError(self.source, line, _dotted(path), "mapping keys must be plain scalars")
            key = str(self._scalars.construct_object(key_node))
            if key in result:
                raise ScenarioFileError(self.source, line, _dotted((*path, key)), "duplicate key")
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key))
        return {**merged, **result}


def load_located(text: str, source: str) -> Located:
    """Parse one YAML document; syntax errors become :class:`ScenarioFileError` with the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioFileError(source, line, "", f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ScenarioFileError(source, None, "", f"not valid YAML: {exc}") from None
    if node is None:
        return Located(None, source, {(): 1})
    builder = _Builder(source)
    return Located(builder.build(node, ()), source, builder.lines)


def load_located_file(path: Path) -> Located:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFileError(str(path), None, "", f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioFileError(str(path), None, "", "not UTF-8 text") from None
    return load_located(text, str(path))


def line_for(lines: dict[Path_, int], loc: Sequence[str | int]) -> int | None:
    """The line of the deepest recorded prefix of ``loc``.

    Location elements that do not exist in the document (pydantic's union tags, for instance) are
    skipped, so the answer is the line of the innermost part of the file the error is about.
    """
    path: Path_ = ()
    best = lines.get(())
    for element in loc:
        candidate = (*path, element)
        if candidate in lines:
            path = candidate
            best = lines[candidate]
    return best


def relocate(lines: dict[Path_, int], old: Path_, new: Path_) -> None:
    """Record the lines under ``old`` again under ``new`` (for data normalised to another shape)."""
    for path, line in list(lines.items()):
        if path[: len(old)] == old:
            lines.setdefault((*new, *path[len(old) :]), line)


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)
