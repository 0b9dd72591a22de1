"""One forward/backward batch: datum arrays in, per-datum outputs and merged metrics out
(semantics §1.1 "reduction is a sum", §6 metric keys ``name:reduction``; protocol §6.6).

``combine_metrics`` merges the per-datum results of one request: ``loss:sum`` is the sum of every
per-token loss; a loss's extra ``name:sum`` metrics are summed and ``name:mean`` ones averaged
over the request's datums (the SDK then weights means by datums per chunk). ``check_finite``
refuses a loss whose value or gradient overflowed, so NaNs never reach the weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._arrays import AnyArray, IntArray
from .losses import LossResult
from .validation import UserInputError

__all__ = ["DatumArrays", "FwdBwdResult", "check_finite", "combine_metrics"]


@dataclass(frozen=True)
class DatumArrays:
    """One datum: input ``tokens`` (N,) and its ``loss_fn_inputs`` arrays."""

    tokens: IntArray
    loss_fn_inputs: Mapping[str, AnyArray]


@dataclass(frozen=True)
class FwdBwdResult:
    outputs: list[dict[str, npt.NDArray[np.float32]]]
    metrics: dict[str, float]


def check_finite(name: str, result: LossResult) -> LossResult:
    """Refuse a loss that overflowed (e.g. ``exp(lp − logprobs)`` for absurd inputs) instead of storing NaNs."""
    if not (np.all(np.isfinite(result.loss)) and np.all(np.isfinite(result.grad))):
        raise UserInputError("loss_fn_inputs", f"the {name} loss is not finite for these inputs (overflow)")
    return result


def combine_metrics(results: Sequence[LossResult]) -> dict[str, float]:
    """``loss:sum`` = Σ per-token losses; extra ``:sum`` keys summed, ``:mean`` keys averaged over datums."""
    metrics = {"loss:sum": float(sum(float(np.sum(r.loss)) for r in results))}
    keys = sorted({k for r in results for k in r.metrics})
    for key in keys:
        values = [r.metrics.get(key, 0.0) for r in results]
        metrics[key] = float(np.mean(values)) if key.endswith(":mean") else float(np.sum(values))
    return metrics
