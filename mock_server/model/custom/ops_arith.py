"""Binary elementwise ops of the custom-loss interpreter: arithmetic, extrema, where, comparisons.

Gradients follow torch's autograd formulas (``derivatives.yaml``) including its tie rule:
``minimum``/``maximum`` split the gradient in half where both inputs are equal. Arithmetic on two
Python scalars (e.g. sizes) stays Python arithmetic, as under torch.fx.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .opspec import Grads, OpSpec, as_array, unbroadcast

__all__ = ["ARITH_OPS"]

_np = as_array


def _scalar_or(pyop: Callable[[Any, Any], Any], npop: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        return pyop(a, b)
    return npop(_np(a), _np(b))


def add(input: Any, other: Any, alpha: Any = 1) -> Any:
    return _scalar_or(operator.add, np.add, input, other * alpha if alpha != 1 else other)


def sub(input: Any, other: Any, alpha: Any = 1) -> Any:
    return _scalar_or(operator.sub, np.subtract, input, other * alpha if alpha != 1 else other)


def mul(input: Any, other: Any) -> Any:
    return _scalar_or(operator.mul, np.multiply, input, other)


def div(input: Any, other: Any, rounding_mode: str | None = None) -> Any:
    if rounding_mode is not None:
        raise ValueError("div with rounding_mode is not supported")
    return _scalar_or(operator.truediv, np.true_divide, input, other)


def pow_(input: Any, exponent: Any) -> Any:
    return _scalar_or(operator.pow, lambda a, b: np.power(a.astype(np.float64), b), input, exponent)


def minimum(input: Any, other: Any) -> Any:
    return np.minimum(_np(input), _np(other))


def maximum(input: Any, other: Any) -> Any:
    return np.maximum(_np(input), _np(other))


def _vjp_add(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    return {"input": unbroadcast(g, a["input"]), "other": unbroadcast(g * a["alpha"], a["other"])}


def _vjp_sub(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    return {"input": unbroadcast(g, a["input"]), "other": unbroadcast(-g * a["alpha"], a["other"])}


def _vjp_mul(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    return {
        "input": unbroadcast(g * _np(a["other"]), a["input"]),
        "other": unbroadcast(g * _np(a["input"]), a["other"]),
    }


def _vjp_div(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    x, y = _np(a["input"]), _np(a["other"])
    return {"input": unbroadcast(g / y, a["input"]), "other": unbroadcast(-g * x / (y * y), a["other"])}


def _vjp_pow(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    x, e = _np(a["input"]).astype(np.float64), _np(a["exponent"])
    gx = g * e * np.power(x, e - 1.0)
    ge = g * out * np.log(np.where(x > 0, x, 1.0))
    return {"input": unbroadcast(gx, a["input"]), "exponent": unbroadcast(ge, a["exponent"])}


def _vjp_extremum(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    x, y = _np(a["input"]), _np(a["other"])
    share_x = np.where(x == y, 0.5, np.where(out == x, 1.0, 0.0))
    return {"input": unbroadcast(g * share_x, a["input"]), "other": unbroadcast(g * (1.0 - share_x), a["other"])}


def where(condition: Any, input: Any, other: Any) -> Any:
    return np.where(_np(condition), input, other)


def _vjp_where(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    cond = _np(a["condition"])
    return {
        "input": unbroadcast(np.where(cond, g, 0.0), a["input"]),
        "other": unbroadcast(np.where(cond, 0.0, g), a["other"]),
    }


def masked_fill(input: Any, mask: Any, value: Any) -> Any:
    return np.where(_np(mask), value, _np(input))


def _vjp_masked_fill(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    mask = np.broadcast_to(_np(a["mask"]), np.shape(g))
    return {
        "input": unbroadcast(np.where(mask, 0.0, g), a["input"]),
        "value": unbroadcast(np.where(mask, g, 0.0), a["value"]),
    }


def _compare(name: str, pyop: Callable[[Any, Any], Any], npop: Callable[[Any, Any], Any]) -> OpSpec:
    def forward(input: Any, other: Any) -> Any:
        return _scalar_or(pyop, npop, input, other)

    forward.__name__ = name
    return OpSpec(name, forward)


ARITH_OPS: dict[str, OpSpec] = {
    "add": OpSpec("add", add, _vjp_add),
    "sub": OpSpec("sub", sub, _vjp_sub),
    "mul": OpSpec("mul", mul, _vjp_mul),
    "div": OpSpec("div", div, _vjp_div),
    "pow": OpSpec("pow", pow_, _vjp_pow),
    "minimum": OpSpec("minimum", minimum, _vjp_extremum),
    "maximum": OpSpec("maximum", maximum, _vjp_extremum),
    "where": OpSpec("where", where, _vjp_where),
    "masked_fill": OpSpec("masked_fill", masked_fill, _vjp_masked_fill),
    "gt": _compare("gt", operator.gt, np.greater),
    "lt": _compare("lt", operator.lt, np.less),
    "ge": _compare("ge", operator.ge, np.greater_equal),
    "le": _compare("le", operator.le, np.less_equal),
    "eq": _compare("eq", operator.eq, np.equal),
    "ne": _compare("ne", operator.ne, np.not_equal),
    "logical_and": _compare("logical_and", operator.and_, np.logical_and),
    "logical_or": _compare("logical_or", operator.or_, np.logical_or),
}
