"""Array type aliases and the numerically stable softmax helpers shared by the model (semantics §9 item 2).

Everything in the model is computed in float64; only the per-datum outputs handed to the server are
cast to float32 (the only float dtype of Tinker's ``TensorData``, semantics §2).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["AnyArray", "FloatArray", "IntArray", "log_softmax"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
AnyArray: TypeAlias = npt.NDArray[Any]


def log_softmax(logits: FloatArray) -> FloatArray:
    """Row-wise ``log_softmax`` over the last axis, shifted by the row maximum for stability."""
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    result: FloatArray = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    return result
