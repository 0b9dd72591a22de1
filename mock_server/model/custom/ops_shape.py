"""Shape and indexing ops of the custom-loss interpreter (reshape, squeeze, transpose, getitem,
stack, cat, clone, detach).

Indexing (``operator.getitem``) accepts ints, slices, ``None``, ``...``, tuples of them and int or
bool index tensors; its gradient scatters back with ``np.add.at``. ``detach`` stops gradients.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import numpy as np

from .opspec import Grads, OpSpec, is_float_tensor, shape_arg, unbroadcast

__all__ = ["SHAPE_OPS"]


def reshape(input: Any, *shape: Any) -> Any:
    return np.reshape(np.asarray(input), shape_arg(shape))


def unsqueeze(input: Any, dim: int) -> Any:
    x = np.asarray(input)
    return np.expand_dims(x, dim % (x.ndim + 1))


def squeeze(input: Any, dim: Any = None) -> Any:
    x = np.asarray(input)
    if dim is None:
        return np.squeeze(x)
    axes = tuple(d % max(x.ndim, 1) for d in (dim if isinstance(dim, tuple | list) else (dim,)))
    return np.squeeze(x, axis=tuple(a for a in axes if x.shape[a] == 1))


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    x = np.asarray(input)
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1 :])


def transpose(input: Any, dim0: int, dim1: int) -> Any:
    return np.swapaxes(np.asarray(input), dim0, dim1)


def t(input: Any) -> Any:
    x = np.asarray(input)
    return x.T if x.ndim == 2 else x


def _vjp_reshape_like(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    return {"input": unbroadcast(np.reshape(g, np.shape(a["input"])), a["input"])}


def _vjp_transpose(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    return {"input": unbroadcast(np.swapaxes(g, a["dim0"], a["dim1"]), a["input"])}


def getitem(a: Any, b: Any) -> Any:
    if isinstance(a, tuple | list):
        return operator.getitem(a, b)
    return np.asarray(a)[b]


def _vjp_getitem(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    if not is_float_tensor(a["a"]):
        return {}
    grad = np.zeros_like(a["a"])
    np.add.at(grad, a["b"], g)
    return {"a": grad}


def stack(tensors: list[Any], dim: int = 0) -> Any:
    return np.stack([np.asarray(x) for x in tensors], axis=dim)


def cat(tensors: list[Any], dim: int = 0) -> Any:
    return np.concatenate([np.asarray(x) for x in tensors], axis=dim)


def _vjp_stack(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    parts = [np.take(g, i, axis=a["dim"]) for i in range(len(a["tensors"]))]
    return {"tensors": [unbroadcast(p, x) for p, x in zip(parts, a["tensors"], strict=True)]}


def _vjp_cat(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    sizes = np.cumsum([np.shape(x)[a["dim"]] for x in a["tensors"]])[:-1]
    parts = np.split(g, sizes, axis=a["dim"])
    return {"tensors": [unbroadcast(p, x) for p, x in zip(parts, a["tensors"], strict=True)]}


def _identity(input: Any, memory_format: Any = None) -> Any:
    return np.array(input, copy=True)


def _vjp_identity(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    return {"input": unbroadcast(g, a["input"])}


SHAPE_OPS: dict[str, OpSpec] = {
    "reshape": OpSpec("reshape", reshape, _vjp_reshape_like),
    "unsqueeze": OpSpec("unsqueeze", unsqueeze, _vjp_reshape_like),
    "squeeze": OpSpec("squeeze", squeeze, _vjp_reshape_like),
    "flatten": OpSpec("flatten", flatten, _vjp_reshape_like),
    "transpose": OpSpec("transpose", transpose, _vjp_transpose),
    "t": OpSpec("t", t, lambda g, out, a: {"input": unbroadcast(np.asarray(g).T, a["input"])}),
    "getitem": OpSpec("getitem", getitem, _vjp_getitem),
    "stack": OpSpec("stack", stack, _vjp_stack),
    "cat": OpSpec("cat", cat, _vjp_cat),
    "clone": OpSpec("clone", _identity, _vjp_identity),
    "detach": OpSpec("detach", lambda input: np.array(input, copy=True)),
}
