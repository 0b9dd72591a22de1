"""Conversion, creation and introspection ops of the custom-loss interpreter.

dtype conversions (``float``, ``long``, ``bool``, ``to``) pass gradients through between float
tensors; creation ops (``zeros_like``, ``full_like``, ``tensor``, ``zeros`` …) and introspection
(``size``, ``numel``, ``dim``, ``getattr(x, "shape" | "ndim")``) carry none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .opspec import Grads, OpSpec, TorchConstant, numpy_dtype, shape_arg, unbroadcast

__all__ = ["CREATE_OPS"]


def _vjp_identity(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    return {"input": unbroadcast(g, a["input"])}


def _converter(name: str, dtype: Any) -> OpSpec:
    def forward(input: Any, memory_format: Any = None) -> Any:
        return np.asarray(input).astype(dtype)

    forward.__name__ = name
    return OpSpec(name, forward, _vjp_identity)


def to(input: Any, *args: Any, **kwargs: Any) -> Any:
    """``x.to(dtype)`` / ``x.to(device)`` / ``x.to(device, dtype)``: only the dtype matters here."""
    dtypes = [v for v in (*args, *kwargs.values()) if isinstance(v, TorchConstant) and v.kind == "dtype"]
    wanted = numpy_dtype(dtypes[0]) if dtypes else None
    x = np.asarray(input)
    return x.astype(wanted) if wanted is not None else np.array(x, copy=True)


def size(input: Any, dim: int | None = None) -> Any:
    shape = tuple(int(d) for d in np.shape(input))
    return shape if dim is None else shape[dim]


def getattr_(obj: Any, name: str) -> Any:
    if name == "shape":
        return size(obj)
    if name == "ndim":
        return int(np.ndim(obj))
    raise ValueError(f"attribute {name!r} is not supported (only shape and ndim)")


def _like(fill: float | None) -> OpSpec:
    def forward(input: Any, fill_value: Any = fill, dtype: Any = None, **_ignored: Any) -> Any:
        x = np.asarray(input)
        return np.full(x.shape, fill_value, dtype=numpy_dtype(dtype) or x.dtype)

    name = {0.0: "zeros_like", 1.0: "ones_like", None: "full_like"}[fill]
    forward.__name__ = name
    return OpSpec(name, forward)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    arr = np.asarray(data)
    return arr.astype(numpy_dtype(dtype) or (np.float64 if arr.dtype.kind == "f" else arr.dtype))


def _filled(fill: float) -> OpSpec:
    def forward(*size: Any, dtype: Any = None, **_ignored: Any) -> Any:
        return np.full(shape_arg(size), fill, dtype=numpy_dtype(dtype) or np.float64)

    name = "zeros" if fill == 0.0 else "ones"
    forward.__name__ = name
    return OpSpec(name, forward)


CREATE_OPS: dict[str, OpSpec] = {
    "float": _converter("float", np.float64),
    "long": _converter("long", np.int64),
    "bool": _converter("bool", np.bool_),
    "to": OpSpec("to", to, _vjp_identity),
    "size": OpSpec("size", size),
    "numel": OpSpec("numel", lambda input: int(np.size(input))),
    "dim": OpSpec("dim", lambda input: int(np.ndim(input))),
    "getattr": OpSpec("getattr", getattr_),
    "zeros_like": _like(0.0),
    "ones_like": _like(1.0),
    "full_like": _like(None),
    "tensor": OpSpec("tensor", tensor),
    "zeros": _filled(0.0),
    "ones": _filled(1.0),
}
