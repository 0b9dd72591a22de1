"""One whitelisted operation of a server-side custom loss: a numpy forward and its VJP (protocol §8.5).

``forward`` mirrors the torch signature of the op (parameter names as torch's, so positional and
keyword calls recorded by torch.fx both bind). ``vjp(g, out, args)`` gets the upstream gradient
``g`` (same shape as ``out``), the output and the bound arguments (defaults applied) and returns
``{parameter: gradient}`` for the differentiable ones; a list-valued parameter (``torch.stack``)
gets a list. ``vjp=None`` marks an op that stops gradients (comparisons, ``detach``, shapes).

Tensors are numpy arrays — floats as float64, integers as int64, masks as bool — and Python
scalars stay scalars, like the values torch.fx passes between nodes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._arrays import AnyArray

__all__ = [
    "Grads",
    "OpSpec",
    "TorchConstant",
    "Vjp",
    "as_array",
    "as_value",
    "is_float_tensor",
    "numpy_dtype",
    "shape_arg",
    "unbroadcast",
]

Grads = dict[str, Any]
Vjp = Callable[[AnyArray, Any, Mapping[str, Any]], Grads]


@dataclass(frozen=True)
class OpSpec:
    """A named op: ``forward`` (torch-like signature) and ``vjp`` (None = no gradient)."""

    name: str
    forward: Callable[..., Any]
    vjp: Vjp | None = None
    signature: inspect.Signature = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "signature", inspect.signature(self.forward))


@dataclass(frozen=True)
class TorchConstant:
    """A torch dtype/device/layout/memory_format argument, as the SDK encodes it (``{"dtype": "float32"}``)."""

    kind: str
    value: str


def numpy_dtype(value: Any) -> np.dtype[Any] | None:
    """The interpreter's dtype for a torch dtype argument: floats → float64, ints → int64, bool → bool."""
    if value is None:
        return None
    if not isinstance(value, TorchConstant) or value.kind != "dtype":
        raise ValueError(f"expected a torch dtype, got {value!r}")
    name = value.value
    if name == "bool":
        return np.dtype(np.bool_)
    if name.startswith(("float", "bfloat", "half", "double")):
        return np.dtype(np.float64)
    if name.startswith(("int", "uint", "long", "short")):
        return np.dtype(np.int64)
    raise ValueError(f"dtype {name} is not supported")


def is_float_tensor(value: Any) -> bool:
    """Whether ``value`` is a tensor that carries gradients (a floating numpy array)."""
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def as_array(x: Any) -> Any:
    """``x`` as a numpy array (arrays pass through unchanged)."""
    return x if isinstance(x, np.ndarray) else np.asarray(x)


def as_value(result: Any) -> Any:
    """numpy scalars become 0-d arrays (tensors); floats are widened to float64."""
    if isinstance(result, np.generic):
        result = np.asarray(result)
    if isinstance(result, np.ndarray) and result.dtype.kind == "f" and result.dtype != np.float64:
        result = result.astype(np.float64)
    return result


def unbroadcast(grad: Any, like: Any) -> AnyArray | None:
    """``grad`` summed down to the shape of ``like`` (numpy broadcasting undone); None unless float."""
    if not is_float_tensor(like) or grad is None:
        return None
    g = np.asarray(grad, dtype=np.float64)
    while g.ndim > like.ndim:
        g = g.sum(axis=0)
    for axis, size in enumerate(like.shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    result: AnyArray = np.broadcast_to(g, like.shape).copy()
    return result


def shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """torch's ``*size`` argument: ``f(2, 3)`` or ``f((2, 3))`` → ``(2, 3)``."""
    dims = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
    return tuple(int(d) for d in dims)
