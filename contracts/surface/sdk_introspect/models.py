"""Public types of ``tinker.types``: pydantic models, dataclasses and enums with their fields."""

from __future__ import annotations

import ast
import dataclasses
import enum
import inspect
import typing
from typing import Any

from ._common import SourceIndex, json_default, location

__all__ = ["collect"]


def _field_lines(index: SourceIndex, cls: type) -> tuple[str, dict[str, int]]:
    """The defining file of ``cls`` and the line of each annotated attribute (tinker bases included)."""
    lines: dict[str, int] = {}
    path = "?"
    for klass in reversed(cls.__mro__):
        found = index.class_node(klass) if klass.__module__.startswith("tinker") else None
        if found is None:
            continue
        source, node = found
        path = str(source.path)
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                lines[item.target.id] = item.lineno
    return path, lines


def _properties(cls: type) -> list[str]:
    """Public read-only views of ``cls`` (``@property``, ``@cached_property``): the list ``tokens``
    over the numpy field ``tokens_np``, which a port may hold as a plain field."""
    import functools

    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("tinker"):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and isinstance(value, property | functools.cached_property):
                names.add(name)
    return sorted(names)


def _wire_renames(index: SourceIndex, cls: Any) -> dict[str, list[str]]:
    """Fields a ``model_serializer`` writes under other keys: ``params = data.pop("optim_params")``
    then ``data["adam_params"] = params`` renames ``optim_params`` to ``adam_params``."""
    decorators = getattr(cls, "__pydantic_decorators__", None)
    serializers = getattr(decorators, "model_serializers", {}) or {}
    found = index.class_node(cls) if serializers else None
    if found is None:
        return {}
    names = set(serializers)
    renames: dict[str, list[str]] = {}
    for item in found[1].body:
        if not isinstance(item, ast.FunctionDef) or item.name not in names:
            continue
        popped: dict[str, str] = {}  # variable -> field popped into it
        for node in ast.walk(item):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "pop"
                and node.value.args
                and isinstance(node.value.args[0], ast.Constant)
                and isinstance(node.value.args[0].value, str)
            ):
                popped[node.targets[0].id] = node.value.args[0].value
        for node in ast.walk(item):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Subscript)
                and isinstance(node.targets[0].slice, ast.Constant)
                and isinstance(node.targets[0].slice.value, str)
                and isinstance(node.value, ast.Name)
                and node.value.id in popped
            ):
                keys = renames.setdefault(popped[node.value.id], [])
                if node.targets[0].slice.value not in keys:
                    keys.append(node.targets[0].slice.value)
    return {k: sorted(v) for k, v in sorted(renames.items())}


def _annotation_text(value: Any) -> str:
    if isinstance(value, type) and not typing.get_args(value):
        return value.__name__
    text = inspect.formatannotation(value)
    return text.replace("typing.", "").replace("typing_extensions.", "")


def _pydantic(index: SourceIndex, cls: Any, kind: str) -> dict[str, Any]:
    path, lines = _field_lines(index, cls)
    loc = index.class_location(cls)
    fields = []
    for name, info in cls.model_fields.items():
        if name.startswith("_"):
            continue
        required = bool(info.is_required())
        default, default_repr = (None, None)
        if not required:
            value = info.get_default(call_default_factory=True)
            default, default_repr = json_default(value)
        fields.append(
            {
                "name": name,
                "wire_name": info.alias or name,
                "annotation": _annotation_text(info.annotation),
                "required": required,
                "default": default,
                "default_repr": default_repr,
                "location": location(path, lines[name]) if name in lines else loc,
            }
        )
    extra = cls.model_config.get("extra")
    decorators = getattr(cls, "__pydantic_decorators__", None)
    serializes_itself = bool(getattr(decorators, "model_serializers", None))
    return {
        "custom_serializer": serializes_itself,
        "properties": _properties(cls),
        "wire_renames": _wire_renames(index, cls),
        "name": cls.__name__,
        "module": cls.__module__,
        "kind": kind,
        "extra": extra if extra in ("forbid", "ignore", "allow") else "ignore",
        "fields": fields,
        "enum_values": [],
        "location": loc,
    }


def _dataclass(index: SourceIndex, cls: Any) -> dict[str, Any]:
    path, lines = _field_lines(index, cls)
    loc = index.class_location(cls)
    fields = []
    for f in dataclasses.fields(cls):
        if f.name.startswith("_"):
            continue
        if f.default is not dataclasses.MISSING:
            required, (default, default_repr) = False, json_default(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            required, (default, default_repr) = False, json_default(f.default_factory())
        else:
            required, default, default_repr = True, None, None
        annotation = f.type if isinstance(f.type, str) else _annotation_text(f.type)
        fields.append(
            {
                "name": f.name,
                "wire_name": f.name,
                "annotation": annotation,
                "required": required,
                "default": default,
                "default_repr": default_repr,
                "location": location(path, lines[f.name]) if f.name in lines else loc,
            }
        )
    return {
        "properties": _properties(cls),
        "name": cls.__name__,
        "module": cls.__module__,
        "kind": "dataclass",
        "extra": None,
        "fields": fields,
        "enum_values": [],
        "location": loc,
    }


def _enum(index: SourceIndex, cls: type[enum.Enum]) -> dict[str, Any]:
    return {
        "name": cls.__name__,
        "module": cls.__module__,
        "kind": "enum",
        "extra": None,
        "fields": [],
        "enum_values": [str(m.value) for m in cls],
        "location": index.class_location(cls),
    }


def _defined_in_types(index: SourceIndex, cls: type) -> bool:
    found = index.class_node(cls) if cls.__module__.startswith("tinker") else None
    return found is not None and found[0].module.startswith("tinker.types")


def collect(index: SourceIndex) -> list[dict[str, Any]]:
    import pydantic
    import tinker.types as types_module
    from tinker._models import StrictBase

    result: dict[str, dict[str, Any]] = {}
    for name in sorted(dir(types_module)):
        value = getattr(types_module, name)
        if name.startswith("_") or not inspect.isclass(value) or not _defined_in_types(index, value):
            continue
        if value.__name__ != name:
            continue  # an alias of a class exported under another name
        if issubclass(value, pydantic.BaseModel):
            kind = "request" if issubclass(value, StrictBase) else "response"
            result[name] = _pydantic(index, value, kind)
        elif dataclasses.is_dataclass(value):
            result[name] = _dataclass(index, value)
        elif issubclass(value, enum.Enum):
            result[name] = _enum(index, value)
    return [result[k] for k in sorted(result)]
