"""The whitelist: which ``call_function`` targets and ``call_method`` names a custom loss may use.

Targets are the names the SDK writes (``tinker/lib/public_interfaces/custom_loss.py``
``encode_graph``: the torch.fx qualified name, with ``_operator.`` rewritten to ``operator.``; see
protocol §5.1 ``CreateCustomLossRequest``). Anything else is refused with a user error naming it.
"""

from __future__ import annotations

from .ops_arith import ARITH_OPS
from .ops_create import CREATE_OPS
from .ops_reduce import REDUCE_OPS
from .ops_shape import SHAPE_OPS
from .ops_unary import UNARY_OPS
from .opspec import OpSpec

__all__ = ["FUNCTIONS", "METHODS", "lookup"]

_OPS: dict[str, OpSpec] = {**ARITH_OPS, **UNARY_OPS, **REDUCE_OPS, **SHAPE_OPS, **CREATE_OPS}

_TORCH_FUNCTIONS = (
    "add sub mul div neg pow abs exp log log1p expm1 sqrt rsqrt square reciprocal sigmoid tanh relu sign "
    "clamp clamp_min clamp_max minimum maximum max min amax amin where sum mean logsumexp log_softmax softmax "
    "reshape unsqueeze squeeze flatten transpose t stack cat detach zeros_like ones_like full_like tensor zeros "
    "ones gt lt ge le eq ne logical_and logical_or logical_not masked_fill"
).split()
_ALIASES = {
    "operator.add": "add",
    "operator.sub": "sub",
    "operator.mul": "mul",
    "operator.truediv": "div",
    "operator.neg": "neg",
    "operator.pow": "pow",
    "operator.abs": "abs",
    "operator.getitem": "getitem",
    "operator.gt": "gt",
    "operator.lt": "lt",
    "operator.ge": "ge",
    "operator.le": "le",
    "operator.eq": "eq",
    "operator.ne": "ne",
    "operator.and_": "logical_and",
    "operator.or_": "logical_or",
    "operator.invert": "logical_not",
    "torch.clip": "clamp",
    "torch.true_divide": "div",
    "torch.nn.functional.relu": "relu",
    "torch.nn.functional.log_softmax": "log_softmax",
    "torch.nn.functional.softmax": "softmax",
    "torch.nn.functional.softplus": "softplus",
    "torch.nn.functional.logsigmoid": "log_sigmoid",
    "torch._C._nn.softplus": "softplus",
    "torch._C._nn.log_sigmoid": "log_sigmoid",
    "torch.special.expit": "sigmoid",
    "torch._C._special.special_expit": "sigmoid",
    "builtins.getattr": "getattr",
}
FUNCTIONS: dict[str, OpSpec] = {f"torch.{name}": _OPS[name] for name in _TORCH_FUNCTIONS}
FUNCTIONS.update({target: _OPS[name] for target, name in _ALIASES.items()})

_METHOD_NAMES = (
    "add sub mul div neg pow abs exp log log1p expm1 sqrt rsqrt square reciprocal sigmoid tanh relu sign clamp "
    "clamp_min clamp_max minimum maximum max min amax amin sum mean logsumexp log_softmax softmax reshape "
    "unsqueeze squeeze flatten transpose t detach clone float long bool to size numel dim masked_fill gt lt ge "
    "le eq ne logical_and logical_or logical_not"
).split()
METHODS: dict[str, OpSpec] = {name: _OPS[name] for name in _METHOD_NAMES}
METHODS.update(
    {
        "clip": _OPS["clamp"],
        "true_divide": _OPS["div"],
        "view": _OPS["reshape"],
        "contiguous": _OPS["clone"],
        "double": _OPS["float"],
        "int": _OPS["long"],
    }
)


def lookup(op: str, target: str) -> OpSpec | None:
    """The spec of a ``call_function`` target or ``call_method`` name; None if not whitelisted."""
    table = FUNCTIONS if op == "call_function" else METHODS if op == "call_method" else {}
    return table.get(target)
