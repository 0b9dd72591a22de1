"""Public client classes of the SDK: methods, signatures with defaults, sync/async variants."""

from __future__ import annotations

import inspect
from typing import Any

from ._common import SourceIndex, json_default, location_of
from .endpoints import endpoints_of_method

__all__ = ["collect"]


def _client_classes() -> list[type]:
    import tinker

    names = getattr(tinker, "__all__", dir(tinker))
    classes = [getattr(tinker, n) for n in names if n.endswith("Client") and inspect.isclass(getattr(tinker, n, None))]
    return sorted(classes, key=lambda c: c.__name__)


def _annotation(value: Any) -> str | None:
    if value is inspect.Parameter.empty:
        return None
    return value if isinstance(value, str) else inspect.formatannotation(value)


def _params(func: Any, drop_first: bool) -> list[dict[str, Any]]:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    params = list(signature.parameters.values())
    if drop_first and params and params[0].name in ("self", "cls"):
        params = params[1:]
    out = []
    for p in params:
        has_default = p.default is not inspect.Parameter.empty
        default, default_repr = json_default(p.default) if has_default else (None, None)
        out.append(
            {
                "name": p.name,
                "kind": p.kind.name.lower(),
                "annotation": _annotation(p.annotation),
                "has_default": has_default,
                "default": default,
                "default_repr": default_repr,
            }
        )
    return out


def _returns(func: Any) -> str | None:
    try:
        return _annotation(inspect.signature(func).return_annotation)
    except (TypeError, ValueError):
        return None


def _method(cls: type, name: str, raw: Any, index: SourceIndex) -> dict[str, Any] | None:
    kind = "method"
    func = raw
    if isinstance(raw, property):
        kind, func = "property", raw.fget
    elif isinstance(raw, staticmethod):
        kind, func = "staticmethod", raw.__func__
    elif isinstance(raw, classmethod):
        kind, func = "classmethod", raw.__func__
    elif name == "__init__":
        kind = "constructor"
    if not callable(func):
        return None
    message = getattr(func, "__deprecated__", None)
    message = message if isinstance(message, str) else None
    experimental = bool(message and "experimental" in message.lower())
    deprecated = message if message and "deprecat" in message.lower() else None
    variant = name[: -len("_async")] if name.endswith("_async") else None
    return {
        "name": name,
        "kind": kind,
        "is_async": inspect.iscoroutinefunction(inspect.unwrap(func)),
        "params": _params(func, drop_first=kind != "staticmethod"),
        "returns": _returns(func),
        "deprecated": deprecated,
        "experimental": experimental,
        "async_variant_of": variant if variant and hasattr(cls, variant) else None,
        "location": location_of(func),
        "endpoints": endpoints_of_method(index, cls, name, func),
    }


def collect(index: SourceIndex) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for cls in _client_classes():
        methods: list[dict[str, Any]] = []
        for klass in reversed([k for k in cls.__mro__ if k.__module__.startswith("tinker")]):
            for name, raw in vars(klass).items():
                if name.startswith("_") and name != "__init__":
                    continue
                info = _method(cls, name, raw, index)
                if info is not None:
                    methods = [m for m in methods if m["name"] != name] + [info]
        result.append(
            {
                "name": cls.__name__,
                "module": cls.__module__,
                "location": index.class_location(cls),
                "methods": sorted(methods, key=lambda m: str(m["name"])),
            }
        )
    return result
