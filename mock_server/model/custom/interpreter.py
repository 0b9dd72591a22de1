"""Evaluate a compiled custom loss on one datum and backpropagate to its logprobs (protocol §8.5).

Forward: every step's bound arguments are resolved against earlier values and its numpy
``forward`` runs (floating-point warnings silenced: NaN/inf propagate as in torch). Backward:
reverse-mode over the same steps, seeded with d loss / d loss = 1; each step's VJP returns gradients
per parameter, which are added to the nodes those parameters referenced (float tensors only).
The result is the per-datum loss (a 0-d float, as ``run_loss_handle`` requires client-side), the
metric values and dL/dlogprobs. Numeric failures (shape mismatches …) and non-finite results are
``UserInputError``s naming the loss and the node.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._arrays import AnyArray, FloatArray
from ..validation import UserInputError
from .graph import CompiledLoss, Ref, Step
from .opspec import as_value, is_float_tensor

__all__ = ["Evaluation", "evaluate"]

# What numpy raises for a graph that is valid but wrong for these inputs (shapes, dtypes, sizes).
_NUMERIC_FAILURES = (ValueError, TypeError, IndexError, KeyError, ArithmeticError, MemoryError)


@dataclass(frozen=True)
class Evaluation:
    loss: float
    metrics: dict[str, float]
    grad_logprobs: FloatArray


def _resolve(spec: Any, env: Mapping[str, Any]) -> Any:
    if isinstance(spec, Ref):
        return env[spec.name]
    if isinstance(spec, list):
        return [_resolve(s, env) for s in spec]
    if isinstance(spec, tuple):
        return tuple(_resolve(s, env) for s in spec)
    if isinstance(spec, slice):
        return slice(_resolve(spec.start, env), _resolve(spec.stop, env), _resolve(spec.step, env))
    return spec


def _accumulate(spec: Any, grad: Any, grads: dict[str, Any], env: Mapping[str, Any]) -> None:
    if grad is None:
        return
    if isinstance(spec, Ref):
        if is_float_tensor(env[spec.name]):
            previous = grads.get(spec.name)
            grads[spec.name] = grad if previous is None else previous + grad
    elif isinstance(spec, list | tuple) and isinstance(grad, list | tuple):
        for s, g in zip(spec, grad, strict=True):
            _accumulate(s, g, grads, env)


class _Run:
    def __init__(self, compiled: CompiledLoss) -> None:
        self.compiled = compiled
        self.env: dict[str, Any] = {}
        self.bound: list[Mapping[str, Any]] = []

    def fail(self, problem: str) -> UserInputError:
        return UserInputError(f"custom loss {self.compiled.name!r}", problem)

    def forward(self, step: Step) -> None:
        values = OrderedDict((k, _resolve(v, self.env)) for k, v in step.arguments.items())
        call = inspect.BoundArguments(step.spec.signature, values)
        try:
            out = as_value(step.spec.forward(*call.args, **call.kwargs))
        except _NUMERIC_FAILURES as exc:
            raise self.fail(f"node {step.name!r} ({step.target}) failed: {exc}") from None
        call.apply_defaults()
        self.env[step.name] = out
        self.bound.append(call.arguments)

    def backward(self, seed: str) -> dict[str, Any]:
        grads: dict[str, Any] = {seed: np.ones_like(self.env[seed])}
        for step, arguments in zip(reversed(self.compiled.steps), reversed(self.bound), strict=True):
            g = grads.pop(step.name, None)
            if g is None or step.spec.vjp is None or not is_float_tensor(self.env[step.name]):
                continue
            try:
                per_param = step.spec.vjp(np.asarray(g, dtype=np.float64), self.env[step.name], arguments)
            except _NUMERIC_FAILURES as exc:
                raise self.fail(f"gradient of node {step.name!r} ({step.target}) failed: {exc}") from None
            for param, grad in per_param.items():
                _accumulate(step.arguments.get(param), grad, grads, self.env)
        return grads

    def scalar(self, ref: Ref, what: str) -> AnyArray:
        value = self.env[ref.name]
        if not isinstance(value, np.ndarray) or value.ndim != 0 or value.dtype.kind not in "fiub":
            shape = getattr(value, "shape", type(value).__name__)
            raise self.fail(f"{what} must be a scalar tensor, got {shape}")
        return value


def evaluate(compiled: CompiledLoss, inputs: Mapping[str, AnyArray]) -> Evaluation:
    """Run ``compiled`` on one datum; ``inputs`` maps ``logprobs`` and every declared key to arrays."""
    run = _Run(compiled)
    for (name, _), node in zip(compiled.inputs, compiled.placeholders, strict=True):
        run.env[node] = inputs[name]
    with np.errstate(all="ignore"):
        for step in compiled.steps:
            run.forward(step)
        loss = run.scalar(compiled.loss, "the loss")
        if loss.dtype.kind != "f":
            raise run.fail("the loss must be a floating tensor that depends on logprobs")
        metrics = {k: float(run.scalar(ref, f"metric {k!r}")) for k, ref in compiled.metrics.items()}
        grads = run.backward(compiled.loss.name)
    logprobs = inputs["logprobs"]
    grad = np.asarray(grads.get(compiled.placeholders[0], np.zeros_like(logprobs)), dtype=np.float64)
    if not np.isfinite(loss) or not np.all(np.isfinite(grad)):
        raise run.fail("produced a non-finite loss or gradient")
    return Evaluation(loss=float(loss), metrics=metrics, grad_logprobs=np.broadcast_to(grad, logprobs.shape).copy())
