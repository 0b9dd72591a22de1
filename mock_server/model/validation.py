"""User-input errors and token-id canonicalisation (semantics §2 and §9 item 1).

Token ids are validated here once for inputs (``model_input``, prompts) and targets
(``target_tokens``). Negative ids are a user error. Ids ``>= V`` are *not* rejected: they are mapped
to ``id % V`` so clients can send token ids of a real tokenizer (e.g. a 150k-entry vocabulary)
to a model whose vocabulary is tiny. The mapping is applied identically to inputs and targets.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._arrays import IntArray

__all__ = ["UserInputError", "as_token_ids"]


class UserInputError(ValueError):
    """A request the caller must fix (Tinker error category ``"user"``).

    ``key`` is the offending field (e.g. ``"target_tokens"``, ``"weights"``, ``"loss_fn"``); the
    message always starts with it, followed by what was expected and what was received.
    """

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def as_token_ids(values: npt.ArrayLike, vocab_size: int, key: str, ndims: tuple[int, ...] = (1,)) -> IntArray:
    """Return ``values`` as int64 token ids in ``[0, vocab_size)``.

    Raises ``UserInputError(key, ...)`` for a non-integer dtype, a rank not in ``ndims`` or a
    negative id; ids ``>= vocab_size`` are reduced modulo ``vocab_size``.
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        raise UserInputError(key, f"expected an integer dtype (int64), got {arr.dtype}")
    if arr.ndim not in ndims:
        wanted = " or ".join(f"{n}-D" for n in ndims)
        raise UserInputError(key, f"expected a {wanted} array, got shape {arr.shape}")
    if arr.size and arr.dtype.kind == "i" and int(arr.min()) < 0:
        raise UserInputError(key, f"token ids must be non-negative, got {int(arr.min())}")
    result: IntArray = np.remainder(arr, vocab_size).astype(np.int64)
    return result
