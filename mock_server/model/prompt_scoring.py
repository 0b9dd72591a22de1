"""Prompt-side sampling outputs from one prefill (semantics §4; protocol §5.1 SampleRequest, §7.2).

For a prompt ``p_0..p_{L-1}`` the prefill gives ``D`` = (L−1, V) log-distributions: row ``i`` is
``log p(· | p_0..p_i)``, i.e. the distribution that scores prompt token ``i + 1`` (the same numbers
as ``LoraModel.forward(p[:-1], p[1:])``, so training and sampling logprobs agree exactly).

- prompt logprobs: ``[NaN, D[0, p_1], …, D[L−2, p_{L−1}]]``; with ``last_n`` only the last ``n``
  entries are scored, the rest are NaN.
- top-k (prompt rows, and each generated step): the ``k`` largest raw logprobs in descending order,
  ties by lower token id; rows that are not computed (prompt position 0, positions before the
  ``last_n`` suffix) and cells beyond the vocabulary hold the SDK's sentinel (token 0, −99999.0).
- target logprobs: ``D[i, ids[i, j]]`` for every id ``>= 0``; 0.0 where the request had −1.
- alternative tokens: ``k`` independent draws per row from ``softmax(D[i] / T)`` (T = the request's
  temperature; T = 0 repeats the argmax), each with its RAW logprob ``D[i, id]`` like sampled tokens.
Token ids are compared modulo V, like everything the model sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray, IntArray

__all__ = [
    "MASK_LOGPROB",
    "TopK",
    "alternative_tokens",
    "prompt_logprobs",
    "prompt_top_k",
    "target_logprobs",
    "top_k",
]

MASK_LOGPROB = -99999.0


@dataclass(frozen=True)
class TopK:
    """Dense (rows, k) token ids (int64) and logprobs; sentinel cells are (0, ``MASK_LOGPROB``)."""

    ids: IntArray
    logprobs: FloatArray

    @classmethod
    def empty(cls, rows: int, k: int) -> TopK:
        return cls(np.zeros((rows, k), dtype=np.int64), np.full((rows, k), MASK_LOGPROB))


def top_k(dists: FloatArray, k: int) -> TopK:
    """Row-wise top-``k`` of (rows, V) log-distributions (descending, ties by lower id, sentinel-padded)."""
    rows, vocab = dists.shape
    result = TopK.empty(rows, k)
    width = min(k, vocab)
    if rows and width:
        order = np.argsort(-dists, axis=1, kind="stable")[:, :width]
        result.ids[:, :width] = order
        result.logprobs[:, :width] = np.take_along_axis(dists, order, axis=1)
    return result


def _first_scored(length: int, last_n: int | None) -> int:
    """Index of the first prompt position that gets a logprob (position 0 never does)."""
    return 1 if last_n is None else max(length - last_n, 1)


def prompt_logprobs(dists: FloatArray, prompt: IntArray, last_n: int | None = None) -> FloatArray:
    """(L,) prompt logprobs, NaN where not scored (see the module docstring)."""
    length = len(prompt)
    out = np.full(length, np.nan)
    if length > 1:
        out[1:] = dists[np.arange(length - 1), prompt[1:] % dists.shape[1]]
        out[: _first_scored(length, last_n)] = np.nan
    return out


def prompt_top_k(dists: FloatArray, length: int, k: int, last_n: int | None = None) -> TopK:
    """(L, k) top-k per prompt position; rows before the first scored position are sentinel."""
    result = TopK.empty(length, k)
    first = _first_scored(length, last_n)
    if length > first:
        scored = top_k(dists[first - 1 :], k)
        result.ids[first:], result.logprobs[first:] = scored.ids, scored.logprobs
    return result


def target_logprobs(dists: FloatArray, ids: IntArray) -> FloatArray:
    """(L−1, K) logprobs of the requested ids; 0.0 where the id is −1."""
    safe = np.where(ids >= 0, ids, 0) % dists.shape[1]
    values = np.take_along_axis(dists, safe, axis=1)
    result: FloatArray = np.where(ids >= 0, values, 0.0)
    return result


def alternative_tokens(
    dists: FloatArray, k: int, temperature: float, rng: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    """(L−1, k) independent draws per prompt row at ``temperature`` and their raw logprobs."""
    rows, vocab = dists.shape
    if temperature == 0.0:
        ids = np.repeat(np.argmax(dists, axis=1)[:, None], k, axis=1).astype(np.int64)
    else:
        scaled = dists / temperature
        probs = np.exp(scaled - scaled.max(axis=1, keepdims=True))
        cdf = np.cumsum(probs, axis=1)
        draws = rng.random((rows, k)) * cdf[:, -1:]
        ids = np.stack([np.searchsorted(cdf[i], draws[i], side="right") for i in range(rows)]).reshape(rows, k)
        ids = np.minimum(ids, vocab - 1).astype(np.int64)
    return ids, np.take_along_axis(dists, ids, axis=1)
