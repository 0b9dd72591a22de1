"""Reductions and normalisations of the custom-loss interpreter: sum, mean, amax/amin, max/min,
logsumexp, softmax, log_softmax (torch semantics; ``amax``-style ties share the gradient evenly).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._arrays import AnyArray
from .opspec import Grads, OpSpec, numpy_dtype, unbroadcast

__all__ = ["REDUCE_OPS"]


def _axes(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """torch ``dim`` (None, int, list or tuple; ``()`` = all) as normalised numpy axes."""
    if dim is None or (isinstance(dim, tuple | list) and len(dim) == 0):
        return None
    dims = dim if isinstance(dim, tuple | list) else (dim,)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        raise ValueError(f"dim must be ints, got {dim!r}")
    return tuple(sorted(d % max(ndim, 1) for d in dims))


def _expand(g: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None, keepdim: bool) -> AnyArray:
    g = np.asarray(g, dtype=np.float64)
    if axes is not None and not keepdim and len(shape) > 0:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def _cast(x: Any, dtype: Any) -> AnyArray:
    wanted = numpy_dtype(dtype)
    arr = np.asarray(x)
    return arr.astype(wanted) if wanted is not None else arr


def sum_(input: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    x = _cast(input, dtype)
    return np.sum(x, axis=_axes(dim, x.ndim), keepdims=keepdim)


def mean(input: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    x = _cast(input, dtype)
    if x.dtype.kind != "f":
        raise ValueError("mean needs a floating tensor (call .float() first)")
    return np.mean(x, axis=_axes(dim, x.ndim), keepdims=keepdim)


def _vjp_sum(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    x = np.asarray(a["input"])
    return {"input": unbroadcast(_expand(g, x.shape, _axes(a["dim"], x.ndim), a["keepdim"]), a["input"])}


def _vjp_mean(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    x = np.asarray(a["input"])
    axes = _axes(a["dim"], x.ndim)
    count = x.size if axes is None else int(np.prod([x.shape[i] for i in axes]))
    return {"input": unbroadcast(_expand(g, x.shape, axes, a["keepdim"]) / count, a["input"])}


def _extreme(fn: Any, x: Any, dim: Any, keepdim: bool) -> Any:
    arr = np.asarray(x)
    return fn(arr, axis=_axes(dim, arr.ndim), keepdims=keepdim)


def amax(input: Any, dim: Any = (), keepdim: bool = False) -> Any:
    return _extreme(np.max, input, dim, keepdim)


def amin(input: Any, dim: Any = (), keepdim: bool = False) -> Any:
    return _extreme(np.min, input, dim, keepdim)


def _vjp_extreme(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    x = np.asarray(a["input"])
    axes = _axes(a.get("dim"), x.ndim)
    keepdim = bool(a.get("keepdim", False))
    hit = x == _expand(out, x.shape, axes, keepdim)
    share = hit / np.sum(hit, axis=axes, keepdims=True)
    return {"input": unbroadcast(_expand(g, x.shape, axes, keepdim) * share, a["input"])}


def _overloaded(name: str, whole: Any, pairwise: Any) -> OpSpec:
    """torch.max/min: whole-tensor reduction or elementwise with ``other``; the dim overload is refused."""

    def forward(input: Any, other: Any = None, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is not None or isinstance(other, int):
            raise ValueError(f"{name}(dim) returns (values, indices), which is not supported; use a{name}(dim)")
        return whole(np.asarray(input)) if other is None else pairwise(np.asarray(input), np.asarray(other))

    def vjp(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
        if a["other"] is None:
            return _vjp_extreme(g, out, {"input": a["input"]})
        x, y = np.asarray(a["input"]), np.asarray(a["other"])
        share_x = np.where(x == y, 0.5, np.where(out == x, 1.0, 0.0))
        return {"input": unbroadcast(g * share_x, a["input"]), "other": unbroadcast(g * (1.0 - share_x), a["other"])}

    forward.__name__ = name
    return OpSpec(name, forward, vjp)


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Any:
    x = np.asarray(input, dtype=np.float64)
    axes = _axes(dim, x.ndim)
    peak = np.max(x, axis=axes, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    total = np.log(np.sum(np.exp(x - peak), axis=axes, keepdims=True)) + peak
    return total if keepdim else np.squeeze(total, axis=axes)


def _vjp_logsumexp(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    x = np.asarray(a["input"])
    axes, keepdim = _axes(a["dim"], x.ndim), a["keepdim"]
    weights = np.exp(x - _expand(out, x.shape, axes, keepdim))
    return {"input": unbroadcast(_expand(g, x.shape, axes, keepdim) * weights, a["input"])}


def _dim_of(dim: Any) -> int:
    if not isinstance(dim, int):
        raise ValueError("softmax/log_softmax need an explicit int dim")
    return dim


def log_softmax(input: Any, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    x = _cast(input, dtype).astype(np.float64)
    return x - logsumexp(x, _dim_of(dim), keepdim=True)


def softmax(input: Any, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    return np.exp(log_softmax(input, dim, _stacklevel, dtype))


def _vjp_log_softmax(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    total = np.sum(g, axis=_dim_of(a["dim"]), keepdims=True)
    return {"input": unbroadcast(g - np.exp(out) * total, a["input"])}


def _vjp_softmax(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    inner = np.sum(g * out, axis=_dim_of(a["dim"]), keepdims=True)
    return {"input": unbroadcast(out * (g - inner), a["input"])}


REDUCE_OPS: dict[str, OpSpec] = {
    "sum": OpSpec("sum", sum_, _vjp_sum),
    "mean": OpSpec("mean", mean, _vjp_mean),
    "amax": OpSpec("amax", amax, _vjp_extreme),
    "amin": OpSpec("amin", amin, _vjp_extreme),
    "max": _overloaded("max", np.max, np.maximum),
    "min": _overloaded("min", np.min, np.minimum),
    "logsumexp": OpSpec("logsumexp", logsumexp, _vjp_logsumexp),
    "log_softmax": OpSpec("log_softmax", log_softmax, _vjp_log_softmax),
    "softmax": OpSpec("softmax", softmax, _vjp_softmax),
}
