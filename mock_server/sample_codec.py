"""Sample results on the wire: protobuf ``SampleResponse`` (protocol §7.2) and the JSON form of old
SDKs (versions doc §4.1), built from the same arrays.

Protobuf: ``tokens`` int32, ``logprobs`` float32, ``topk_sampled_logprobs`` / ``topk_prompt_logprobs``
as ``TopkLogprobs`` (int32 ids and float32 logprobs, row-major ``[length, k]``, sentinel cell
``(0, −99999.0)``), ``prompt_logprobs`` float32 with NaN where not scored, ``target_prompt_logprobs``
as a FLOAT32 ``Tensor`` in the request's layout (dense, or CSR with the request's indices), and
``prompt_alt_tokens`` as INT64 ``tokens`` + FLOAT32 ``logprobs`` dense ``[L−1, k]`` tensors.
JSON: the §4.1 shape (``prompt_logprobs`` with ``null``, ``topk_prompt_logprobs`` as
``[null | [[id, logprob], …]]``) plus, for newer fields, ``sequences[i].topk_logprobs`` (same list
form), ``prompt_cache_hit_tokens``, ``target_prompt_logprobs`` and ``prompt_alt_tokens.{tokens,
logprobs}`` as JSON ``TensorData`` — names as in the 0.38 SDK's ``SampleResponse``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tinker_harness.contracts import tensor_codec as tc
from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.mock_server.model.prompt_scoring import MASK_LOGPROB, TopK

__all__ = ["PromptOutputs", "SampledRow", "sample_result_bodies"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SampledRow:
    tokens: list[int]
    logprobs: list[float]
    stop_reason: str
    topk: TopK | None = None


@dataclass(frozen=True)
class PromptOutputs:
    """Prompt-level results of one sample request (all optional)."""

    prompt_logprobs: FloatArray | None = None
    topk_prompt: TopK | None = None
    target_values: FloatArray | None = None  # (L−1, K); 0.0 where not requested
    target_csr: tuple[IntArray, IntArray] | None = None  # the request's (crow, col) when it was sparse
    alt_tokens: tuple[IntArray, FloatArray] | None = None
    cache_hit_tokens: int = 0


def _topk_proto(table: TopK) -> pb.TopkLogprobs:
    rows, k = table.ids.shape
    return pb.TopkLogprobs(
        token_ids=tc.int32_bytes(table.ids.reshape(-1)),
        logprobs=tc.float32_bytes(table.logprobs.reshape(-1)),
        k=k,
        length=rows,
    )


def _topk_json(table: TopK) -> list[list[list[float | int]] | None]:
    out: list[list[list[float | int]] | None] = []
    for ids, lps in zip(table.ids.tolist(), table.logprobs.tolist(), strict=True):
        pairs = [[int(i), float(lp)] for i, lp in zip(ids, lps, strict=True) if not (i == 0 and lp == MASK_LOGPROB)]
        out.append(pairs or None)
    return out


def _target_tensors(values: FloatArray, csr: tuple[IntArray, IntArray] | None) -> tuple[pb.Tensor, dict[str, Any]]:
    shape = list(values.shape)
    if csr is None:
        return tc.array_to_tensor(values.astype(np.float32)), tc.array_to_json_tensor(values.astype(np.float32))
    crow, col = csr
    rows = np.repeat(np.arange(values.shape[0]), np.diff(crow))
    listed = values[rows, col].astype(np.float32)
    message = pb.Tensor(
        sparse_csr=pb.SparseCsr(
            values=tc.float32_bytes(listed),
            crow_indices=crow.astype("<i8").tobytes(),
            col_indices=col.astype("<i8").tobytes(),
        ),
        dtype=pb.DTYPE_FLOAT32,
        shape=shape,
    )
    json_form = {
        "data": listed.tolist(),
        "dtype": "float32",
        "shape": shape,
        "sparse_crow_indices": crow.tolist(),
        "sparse_col_indices": col.tolist(),
    }
    return message, json_form


def sample_result_bodies(rows: Sequence[SampledRow], prompt: PromptOutputs) -> tuple[dict[str, Any], bytes]:
    """The JSON and protobuf forms of one sample result."""
    message = pb.SampleResponse(prompt_cache_hit_tokens=prompt.cache_hit_tokens)
    sequences: list[dict[str, Any]] = []
    for row in rows:
        seq = pb.SampledSequence(
            stop_reason=pb.STOP_REASON_LENGTH if row.stop_reason == "length" else pb.STOP_REASON_STOP,
            tokens=tc.int32_bytes(row.tokens),
            logprobs=tc.float32_bytes(row.logprobs),
        )
        entry: dict[str, Any] = {"stop_reason": row.stop_reason, "tokens": row.tokens, "logprobs": row.logprobs}
        if row.topk is not None:
            seq.topk_sampled_logprobs.CopyFrom(_topk_proto(row.topk))
            entry["topk_logprobs"] = _topk_json(row.topk)
        message.sequences.append(seq)
        sequences.append(entry)
    json_body: dict[str, Any] = {
        "type": "sample",
        "sequences": sequences,
        "prompt_cache_hit_tokens": prompt.cache_hit_tokens,
    }
    if prompt.prompt_logprobs is not None:
        message.prompt_logprobs = tc.float32_bytes(prompt.prompt_logprobs)
        json_body["prompt_logprobs"] = [None if np.isnan(v) else float(v) for v in prompt.prompt_logprobs]
    if prompt.topk_prompt is not None:
        message.topk_prompt_logprobs.CopyFrom(_topk_proto(prompt.topk_prompt))
        json_body["topk_prompt_logprobs"] = _topk_json(prompt.topk_prompt)
    if prompt.target_values is not None:
        tensor, json_tensor = _target_tensors(prompt.target_values, prompt.target_csr)
        message.target_prompt_logprobs.CopyFrom(tensor)
        json_body["target_prompt_logprobs"] = json_tensor
    if prompt.alt_tokens is not None:
        tokens, logprobs = prompt.alt_tokens
        message.prompt_alt_tokens.tokens.CopyFrom(tc.array_to_tensor(tokens.astype(np.int64)))
        message.prompt_alt_tokens.logprobs.CopyFrom(tc.array_to_tensor(logprobs.astype(np.float32)))
        json_body["prompt_alt_tokens"] = {
            "tokens": tc.array_to_json_tensor(tokens.astype(np.int64)),
            "logprobs": tc.array_to_json_tensor(logprobs.astype(np.float32)),
        }
    return json_body, message.SerializeToString()
