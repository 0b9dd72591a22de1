"""Splitting a forward/backward batch into requests and combining their results (protocol reference §6.6, §8.3).

A batch is cut into chunks of at most ``fwdbwd_max_chunk_len`` datums, starting a new chunk
before a datum that would push the estimated size past ``fwdbwd_max_chunk_bytes_count`` (both from
``/client/config``). The size estimate is the SDK's: 4 bytes per token, the raw bytes of image and
dmel chunks, the location of image pointers, and each tensor's packed size plus 8 bytes per CSR
index. Results are combined in chunk order: outputs concatenated, metrics reduced per the
``name:reduction`` suffix of each key *of the first result* — ``sum``, ``min``, ``max``, ``mean``
and ``slack`` (max minus mean; means weighted by datum count), ``hash2``, and ``unique`` (the
first value, then ``key_1``, ``key_2``… as the SDK's code does; §6.6's "``key_2``…" is off by
one) — while keys missing from some chunk or with an unknown reduction are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tinker_harness.contracts import (
    Datum,
    DmelChunk,
    EncodedTextChunk,
    ImageAssetPointerChunk,
    ImageChunk,
    ModelInput,
    TensorData,
)

from ._errors import ProtocolError
from ._results import ForwardBackwardResult

__all__ = ["combine_results", "estimate_datum_bytes", "estimate_input_bytes", "split_into_chunks"]

_ITEM_BYTES = {"float32": 4, "int64": 8}
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF


def _tensor_bytes(tensor: TensorData) -> int:
    size = _ITEM_BYTES[tensor.dtype] * len(tensor.data)
    sparse = len(tensor.sparse_crow_indices or ()) + len(tensor.sparse_col_indices or ())
    return size + 8 * sparse


def estimate_input_bytes(model_input: ModelInput, bytes_per_token: int) -> int:
    """The SDK's size estimate of a model input: tokens at a per-use rate (4 for training, 10 for
    sampling), images, asset pointers and dmel payloads at their length (§8.3, §9.3)."""
    total = 0
    for chunk in model_input.chunks:
        if isinstance(chunk, EncodedTextChunk):
            total += bytes_per_token * len(chunk.tokens)
        elif isinstance(chunk, ImageChunk):
            total += len(chunk.data)
        elif isinstance(chunk, ImageAssetPointerChunk):
            total += len(chunk.location)
        elif isinstance(chunk, DmelChunk):
            total += len(chunk.dmel)
    return total


def estimate_datum_bytes(datum: Datum) -> int:
    """The SDK's estimate of a datum's protobuf size (§8.3)."""
    return estimate_input_bytes(datum.model_input, 4) + sum(_tensor_bytes(t) for t in datum.loss_fn_inputs.values())


def split_into_chunks(data: Sequence[Datum], max_len: int, max_bytes: int) -> list[list[Datum]]:
    """Consecutive chunks in order; a datum larger than ``max_bytes`` still gets a chunk of its own."""
    chunks: list[list[Datum]] = []
    current: list[Datum] = []
    current_bytes = 0
    for datum in data:
        size = estimate_datum_bytes(datum)
        if current and (current_bytes + size > max_bytes or len(current) == max_len):
            chunks.append(current)
            current, current_bytes = [], 0
        current.append(datum)
        current_bytes += size
    if current:
        chunks.append(current)
    return chunks


def _mean(values: list[float], weights: list[int]) -> float:
    return float(np.average(values, weights=weights))


_REDUCTIONS: dict[str, Callable[[list[float], list[int]], float]] = {
    "sum": lambda values, _: float(np.sum(values)),
    "min": lambda values, _: float(np.min(values)),
    "max": lambda values, _: float(np.max(values)),
    "mean": _mean,
    "slack": lambda values, weights: float(np.max(values)) - _mean(values, weights),
    "hash2": lambda values, _: sum(int(v) & _MASK64 for v in values) & _MASK64,
}


def _reduce_metrics(results: Sequence[ForwardBackwardResult]) -> dict[str, float]:
    weights = [len(r.loss_fn_outputs) for r in results]
    combined: dict[str, float] = {}
    for key in results[0].metrics:
        parts = key.split(":")
        if len(parts) != 2:
            raise ProtocolError(f"metric key {key!r} is not 'name:reduction' with exactly one ':' (§0 item 8)")
        reduction = parts[1]
        if (reduction not in _REDUCTIONS and reduction != "unique") or any(key not in r.metrics for r in results):
            continue
        values = [r.metrics[key] for r in results]
        if reduction == "unique":
            combined[key] = values[0]
            combined.update({f"{key}_{i}": v for i, v in enumerate(values[1:], start=1)})
        else:
            combined[key] = _REDUCTIONS[reduction](values, weights)
    return combined


def combine_results(results: Sequence[ForwardBackwardResult]) -> ForwardBackwardResult:
    """One result for a chunked call, exactly as the SDK combines them (§6.6)."""
    if not results:
        return ForwardBackwardResult("", [], {})
    outputs = [output for result in results for output in result.loss_fn_outputs]
    return ForwardBackwardResult(results[0].loss_fn_output_type, outputs, _reduce_metrics(results))
