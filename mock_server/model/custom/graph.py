"""Compile an uploaded custom-loss graph: decode, check against the whitelist, bind arguments.

Wire format (protocol §5.1 ``CreateCustomLossRequest``; built by the SDK's ``encode_graph``):
``inputs`` = ``[{name, rank}]`` with ``logprobs`` first (rank 1 or 2); ``graph.nodes`` = torch.fx
nodes ``{op, name, target, args, kwargs}`` in topological order. Argument values are JSON scalars,
lists, ``{"ref": node}``, ``{"float": "inf"}``, ``{"tuple": [...]}``, ``{"dict": {...}}``,
``{"slice": [start, stop, step]}``, ``{"ellipsis": true}`` or ``{"dtype"|"device"|"layout"|
"memory_format": "<name>"}``. Rules: one ``placeholder`` per declared input, in order and named
after it; ``call_function``/``call_method`` only with whitelisted targets (``ops``); no ``get_attr``
or ``call_module``; a final ``output`` of ``(loss, {metric: value})`` whose metric keys match the
SDK's ``custom/<name>:sum|mean``. Every violation is a ``UserInputError`` naming the node and op.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..validation import UserInputError
from .ops import FUNCTIONS, METHODS, lookup
from .opspec import OpSpec, TorchConstant

__all__ = ["CompiledLoss", "Ref", "Step", "compile_custom_loss"]

MAX_NODES = 5000
METRIC_KEY = re.compile(r"custom/[a-z0-9_./-]{1,64}:(sum|mean)")
_CONSTANT_KINDS = ("dtype", "device", "layout", "memory_format")
SUPPORTED = tuple(sorted({t.rsplit(".", 1)[-1].rstrip("_") for t in FUNCTIONS} | set(METHODS)))


@dataclass(frozen=True)
class Ref:
    """A reference to an earlier node's value."""

    name: str


@dataclass(frozen=True)
class Step:
    """One whitelisted call: its node name, wire target, op and bound (still symbolic) arguments."""

    name: str
    target: str
    spec: OpSpec
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class CompiledLoss:
    name: str
    inputs: tuple[tuple[str, int], ...]  # (loss_fn_inputs key or "logprobs", rank), logprobs first
    placeholders: tuple[str, ...]  # node name of each input
    steps: tuple[Step, ...]
    loss: Ref
    metrics: Mapping[str, Ref]

    @property
    def input_names(self) -> tuple[str, ...]:
        """The ``loss_fn_inputs`` keys the loss reads (after ``logprobs``)."""
        return tuple(name for name, _ in self.inputs[1:])


class _Compiler:
    def __init__(self, loss_name: str) -> None:
        self.loss_name = loss_name
        self.defined: set[str] = set()

    def fail(self, problem: str) -> UserInputError:
        return UserInputError("graph", f"custom loss {self.loss_name!r}: {problem}")

    def decode(self, value: Any, node: str) -> Any:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, list):
            return [self.decode(v, node) for v in value]
        if not isinstance(value, dict) or len(value) != 1:
            raise self.fail(f"node {node!r} has an argument this format does not know: {value!r}")
        ((kind, inner),) = value.items()
        if kind == "ref":
            if inner not in self.defined:
                raise self.fail(f"node {node!r} refers to {inner!r}, which is not an earlier node")
            return Ref(str(inner))
        if kind == "float" and inner in ("inf", "-inf", "nan"):
            return float(inner)
        if kind == "tuple" and isinstance(inner, list):
            return tuple(self.decode(v, node) for v in inner)
        if kind == "dict" and isinstance(inner, dict):
            return {str(k): self.decode(v, node) for k, v in inner.items()}
        if kind == "slice" and isinstance(inner, list) and len(inner) == 3:
            return slice(*(self.decode(v, node) for v in inner))
        if kind == "ellipsis":
            return Ellipsis
        if kind in _CONSTANT_KINDS and isinstance(inner, str):
            return TorchConstant(kind, inner)
        raise self.fail(f"node {node!r} has an argument this format does not know: {value!r}")

    def step(self, node: Mapping[str, Any]) -> Step:
        op, name, target = node["op"], node["name"], str(node["target"])
        spec = lookup(op, target)
        if spec is None:
            what = "function" if op == "call_function" else "method"
            raise self.fail(
                f"node {name!r} calls {what} {target!r}, which this mock's interpreter does not support "
                f"(supported, as torch functions, Tensor methods or operators: {', '.join(SUPPORTED)})"
            )
        args = [self.decode(a, name) for a in node.get("args", [])]
        kwargs = {str(k): self.decode(v, name) for k, v in dict(node.get("kwargs", {})).items()}
        try:
            bound = spec.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.fail(f"node {name!r} calls {target!r} with arguments it does not take: {exc}") from None
        return Step(name=name, target=target, spec=spec, arguments=dict(bound.arguments))


def _output(compiler: _Compiler, node: Mapping[str, Any]) -> tuple[Ref, dict[str, Ref]]:
    args = [compiler.decode(a, "output") for a in node.get("args", [])]
    result = args[0] if len(args) == 1 else None
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise compiler.fail("the output must be (loss, metrics)")
    loss, metrics = result
    if not isinstance(loss, Ref) or not isinstance(metrics, dict):
        raise compiler.fail("the output must be (loss tensor, {metric name: tensor})")
    for key, value in metrics.items():
        if not METRIC_KEY.fullmatch(key):
            raise compiler.fail(f"metric {key!r} must be named custom/<name>:sum or custom/<name>:mean")
        if not isinstance(value, Ref):
            raise compiler.fail(f"metric {key!r} must be a tensor computed by the loss")
    return loss, metrics


def compile_custom_loss(
    name: str, inputs: Sequence[tuple[str, int]], nodes: Sequence[Mapping[str, Any]]
) -> CompiledLoss:
    """Check and bind an uploaded graph; ``UserInputError("graph", ...)`` for anything refused."""
    compiler = _Compiler(name)
    if not inputs or inputs[0][0] != "logprobs" or inputs[0][1] not in (1, 2):
        raise compiler.fail("the first input must be logprobs with rank 1 or 2")
    if any(rank not in (0, 1, 2) for _, rank in inputs) or len({n for n, _ in inputs}) != len(inputs):
        raise compiler.fail("inputs must have distinct names and ranks 0, 1 or 2")
    if not 0 < len(nodes) <= MAX_NODES:
        raise compiler.fail(f"the graph must have 1..{MAX_NODES} nodes, got {len(nodes)}")
    placeholders = [n for n in nodes if n.get("op") == "placeholder"]
    if [str(n.get("target")) for n in placeholders] != [n for n, _ in inputs] or nodes[: len(inputs)] != placeholders:
        raise compiler.fail(f"the graph must start with one placeholder per input, in order: {[n for n, _ in inputs]}")
    steps: list[Step] = []
    output: tuple[Ref, dict[str, Ref]] | None = None
    for index, node in enumerate(nodes):
        op, node_name = node.get("op"), str(node.get("name"))
        if node_name in compiler.defined:
            raise compiler.fail(f"node name {node_name!r} is used twice")
        if op == "output":
            if index != len(nodes) - 1:
                raise compiler.fail("the output node must be the last node")
            output = _output(compiler, node)
        elif op in ("call_function", "call_method"):
            steps.append(compiler.step(node))
        elif op != "placeholder":
            raise compiler.fail(f"node {node_name!r} has op {op!r}; only torch and math function/method calls run here")
        compiler.defined.add(node_name)
    if output is None:
        raise compiler.fail("the graph has no output node")
    names = tuple(str(n["name"]) for n in placeholders)
    return CompiledLoss(name, tuple((n, int(r)) for n, r in inputs), names, tuple(steps), output[0], output[1])
