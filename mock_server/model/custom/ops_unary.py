"""Unary elementwise ops of the custom-loss interpreter: maths functions, relu, softplus, clamps.

Each op's derivative follows torch: ``abs`` uses ``sign(x)``, ``relu`` passes the gradient where
``x > 0``, ``clamp`` where ``min <= x <= max`` (and to tensor bounds where they are active),
``softplus`` is linear above ``threshold`` like torch's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .opspec import Grads, OpSpec, as_array, unbroadcast

__all__ = ["UNARY_OPS"]

_np = as_array


def _unary(name: str, fn: Callable[[Any], Any], dfn: Callable[[Any, Any], Any] | None) -> OpSpec:
    """An op ``f(input)`` with ``d out / d input = dfn(x, out)`` (elementwise)."""

    def forward(input: Any) -> Any:
        return fn(_np(input))

    def vjp(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
        assert dfn is not None
        return {"input": unbroadcast(g * dfn(_np(a["input"]), out), a["input"])}

    forward.__name__ = name
    return OpSpec(name, forward, vjp if dfn is not None else None)


def _softplus_fn(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    bx = x * beta
    return np.where(bx > threshold, x, np.logaddexp(0.0, bx) / beta)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    return _softplus_fn(_np(input).astype(np.float64), beta, threshold)


def _vjp_softplus(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    bx = _np(a["input"]) * a["beta"]
    return {"input": unbroadcast(np.where(bx > a["threshold"], g, g / (1.0 + np.exp(-bx))), a["input"])}


def relu(input: Any, inplace: bool = False) -> Any:
    return np.maximum(_np(input), 0)


def _vjp_relu(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    return {"input": unbroadcast(g * (_np(a["input"]) > 0), a["input"])}


def clamp(input: Any, min: Any = None, max: Any = None) -> Any:
    if min is None and max is None:
        raise ValueError("clamp needs min or max")
    x = _np(input)
    if min is not None:
        x = np.maximum(x, min)
    if max is not None:
        x = np.minimum(x, max)
    return x


def clamp_min(input: Any, min: Any) -> Any:
    return clamp(input, min=min)


def clamp_max(input: Any, max: Any) -> Any:
    return clamp(input, max=max)


def _vjp_clamp(g: Any, out: Any, a: Mapping[str, Any]) -> Grads:
    x, low, high = _np(a["input"]), a.get("min"), a.get("max")
    inside = np.ones(x.shape, dtype=bool)
    grads: Grads = {}
    if low is not None:
        inside &= x >= low
        grads["min"] = unbroadcast(g * (x < low), low)
    if high is not None:
        inside &= x <= high
        grads["max"] = unbroadcast(g * (x > high), high)
    grads["input"] = unbroadcast(g * inside, a["input"])
    return grads


_UNARY = [
    _unary("neg", np.negative, lambda x, out: -1.0),
    _unary("abs", np.abs, lambda x, out: np.sign(x)),
    _unary("exp", np.exp, lambda x, out: out),
    _unary("log", np.log, lambda x, out: 1.0 / x),
    _unary("log1p", np.log1p, lambda x, out: 1.0 / (1.0 + x)),
    _unary("expm1", np.expm1, lambda x, out: out + 1.0),
    _unary("sqrt", np.sqrt, lambda x, out: 0.5 / out),
    _unary("rsqrt", lambda x: 1.0 / np.sqrt(x), lambda x, out: -0.5 * out**3),
    _unary("square", np.square, lambda x, out: 2.0 * x),
    _unary("reciprocal", lambda x: 1.0 / x, lambda x, out: -(out**2)),
    _unary("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x)), lambda x, out: out * (1.0 - out)),
    _unary("tanh", np.tanh, lambda x, out: 1.0 - out**2),
    _unary("log_sigmoid", lambda x: -np.logaddexp(0.0, -x), lambda x, out: 1.0 / (1.0 + np.exp(x))),
    _unary("sign", np.sign, None),
    _unary("logical_not", np.logical_not, None),
]

UNARY_OPS: dict[str, OpSpec] = {op.name: op for op in _UNARY}
UNARY_OPS.update(
    {
        "relu": OpSpec("relu", relu, _vjp_relu),
        "softplus": OpSpec("softplus", softplus, _vjp_softplus),
        "clamp": OpSpec("clamp", clamp, _vjp_clamp),
        "clamp_min": OpSpec("clamp_min", clamp_min, _vjp_clamp),
        "clamp_max": OpSpec("clamp_max", clamp_max, _vjp_clamp),
    }
)
