"""``CustomLoss``: an uploaded per-datum loss as an ``Objective`` of ``TrainableModel`` (protocol §8.5).

Semantics mirror the SDK's client-side runner (``run_loss_handle``): the graph runs once per datum
on ``(logprobs, *loss_fn_inputs[name] for each declared input)``; the losses are summed
(``loss:sum``), ``custom/<name>:sum`` metrics are summed and ``:mean`` ones averaged over datums.
Validation mirrors ``check_loss_inputs``: ``target_tokens`` is present with the rank declared for
``logprobs`` and every declared input is present with its declared rank (rank 0 arrives as a
one-element tensor, since protobuf cannot tell shape ``[]`` from "no shape"). The gradient of the
datum's loss w.r.t. its logprobs feeds the same accumulator as the built-in losses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .._arrays import AnyArray, FloatArray
from ..losses import LossConfig, LossResult
from ..validation import UserInputError
from .graph import CompiledLoss
from .interpreter import evaluate

__all__ = ["CustomLoss"]


def _ranked(key: str, value: AnyArray, rank: int, n: int) -> AnyArray:
    if rank == 0:
        if value.size != 1:
            raise UserInputError(key, f"the custom loss declares it a scalar (rank 0), got shape {value.shape}")
        return value.reshape(())
    if value.ndim != rank:
        raise UserInputError(key, f"the custom loss declares rank {rank}, got shape {value.shape}")
    return value


@dataclass(frozen=True)
class CustomLoss:
    """A compiled custom loss; ``name`` is the uploaded function's name."""

    compiled: CompiledLoss

    @property
    def name(self) -> str:
        return self.compiled.name

    def resolve_config(self, config: LossConfig | None) -> dict[str, float]:
        """A custom loss has no numeric config (``loss_id`` selects it and is read by the caller)."""
        return {}

    def validate(self, inputs: Mapping[str, AnyArray], n: int) -> dict[str, AnyArray]:
        if "target_tokens" not in inputs:
            raise UserInputError("target_tokens", f"missing from loss_fn_inputs (got keys {sorted(inputs)})")
        targets = np.asarray(inputs["target_tokens"])
        lp_rank = self.compiled.inputs[0][1]
        if targets.dtype.kind not in "iu":
            raise UserInputError("target_tokens", f"expected an integer dtype (int64), got {targets.dtype}")
        if targets.ndim != lp_rank or targets.shape[0] != n:
            wanted = f"({n},)" if lp_rank == 1 else f"({n}, K)"
            raise UserInputError(
                "target_tokens", f"the custom loss takes logprobs of shape {wanted}, got {targets.shape}"
            )
        checked: dict[str, AnyArray] = {"target_tokens": targets}
        for key, rank in self.compiled.inputs[1:]:
            if key not in inputs:
                raise UserInputError(key, f"missing from loss_fn_inputs; custom loss {self.name!r} reads it")
            value = np.asarray(inputs[key])
            value = value.astype(np.float64) if value.dtype.kind == "f" else value.astype(np.int64)
            checked[key] = _ranked(key, value, rank, n)
        return checked

    def __call__(self, lp: FloatArray, inputs: Mapping[str, AnyArray], config: Mapping[str, float]) -> LossResult:
        values = {name: inputs[name] for name in self.compiled.input_names}
        values["logprobs"] = np.asarray(lp, dtype=np.float64)
        result = evaluate(self.compiled, values)
        return LossResult(
            loss=np.asarray(result.loss),
            grad=result.grad_logprobs,
            outputs={"logprobs": np.asarray(lp, dtype=np.float32)},
            metrics=result.metrics,
        )
