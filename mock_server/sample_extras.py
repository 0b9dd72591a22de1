"""Prompt-side extras of a sample request: validation and computation (protocol §5.1 SampleRequest,
§7.2 post-checks, §9.3; semantics §4 "0.38 extra request fields").

Request rules (user errors name the field): ``topk_prompt_logprobs``, ``topk_sample_logprobs`` and
``prompt_alt_tokens_k`` in ``0..MAX_TOPK``; ``prompt_logprobs_last_n`` needs ``prompt_logprobs``
and ``1 <= n <= len(prompt) − 1``; ``target_prompt_logprobs`` is an int64 ``[len(prompt) − 1, K]``
tensor, dense with −1 for "none" or CSR whose unlisted cells are "none" (the SDK's
``from_torch_sparse(ids, pad_value=-1)``), naming at least one id ``>= 0`` and at most ``MAX_TOPK``
distinct ids (the SDK: the server bounds ``len(prompt) · distinct ids`` like a top-k width). The
mock's ``MAX_TOPK`` = 64 is its own choice: the real bound is not documented.

The values come from one prefill of the sampler's model (``model.prompt_scoring``); ``last_n``
applies to ``prompt_logprobs`` and ``topk_prompt_logprobs`` only, as the SDK documents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tinker_harness.contracts._sampling import SampleRequest
from tinker_harness.contracts._tensors import TensorData
from tinker_harness.mock_server.model import LoraModel, UserInputError
from tinker_harness.mock_server.model import prompt_scoring as ps
from tinker_harness.mock_server.sample_codec import PromptOutputs

__all__ = ["MAX_TOPK", "TargetIds", "check_extras", "decode_target_ids", "first_computed", "prompt_outputs"]

MAX_TOPK = 64
IntArray = npt.NDArray[np.int64]
ALT_STREAM = 2**20  # rng stream index of the alternative-token draws (sample streams are 0..num_samples-1)


@dataclass(frozen=True)
class TargetIds:
    """Decoded ``target_prompt_logprobs``: dense ids with −1 = none, plus the CSR indices if sparse."""

    ids: IntArray
    csr: tuple[IntArray, IntArray] | None


def _bounded(name: str, value: int) -> None:
    if not 0 <= value <= MAX_TOPK:
        raise UserInputError(name, f"expected 0..{MAX_TOPK} (this mock's top-k width bound), got {value}")


def check_extras(request: SampleRequest, prompt_len: int) -> None:
    _bounded("topk_prompt_logprobs", request.topk_prompt_logprobs)
    _bounded("topk_sample_logprobs", request.topk_sample_logprobs)
    _bounded("prompt_alt_tokens_k", request.prompt_alt_tokens_k)
    last_n = request.prompt_logprobs_last_n
    if last_n is not None:
        if not request.prompt_logprobs:
            raise UserInputError("prompt_logprobs_last_n", "requires prompt_logprobs=true")
        if not 1 <= last_n <= prompt_len - 1:
            raise UserInputError(
                "prompt_logprobs_last_n", f"must be between 1 and len(prompt) - 1 = {prompt_len - 1}, got {last_n}"
            )


def _csr_ids(td: TensorData, rows: int, cols: int) -> TargetIds:
    crow = np.asarray(td.sparse_crow_indices, dtype=np.int64)
    col = np.asarray(td.sparse_col_indices, dtype=np.int64)
    values = np.asarray(td.data, dtype=np.int64)
    ok = len(crow) == rows + 1 and crow[0] == 0 and np.all(np.diff(crow) >= 0) and crow[-1] == len(values)
    if not ok or len(col) != len(values) or (len(col) and (col.min() < 0 or col.max() >= cols)):
        raise UserInputError("target_prompt_logprobs", "malformed sparse CSR indices for its shape")
    ids = np.full((rows, cols), -1, dtype=np.int64)
    ids[np.repeat(np.arange(rows), np.diff(crow)), col] = values
    return TargetIds(ids, (crow, col))


def decode_target_ids(td: TensorData, prompt_len: int) -> TargetIds:
    """Validate and densify ``target_prompt_logprobs`` (see the module docstring)."""
    shape = td.shape
    if td.dtype != "int64" or shape is None or len(shape) != 2:
        raise UserInputError("target_prompt_logprobs", f"must be an int64 2-D tensor, got {td.dtype} {shape}")
    rows, cols = shape
    if rows != prompt_len - 1 or cols < 1:
        raise UserInputError(
            "target_prompt_logprobs", f"must have shape [len(prompt) - 1 = {prompt_len - 1}, K >= 1], got {shape}"
        )
    if (td.sparse_crow_indices is None) != (td.sparse_col_indices is None):
        raise UserInputError("target_prompt_logprobs", "sparse tensors need both crow and col indices")
    try:
        if td.sparse_crow_indices is not None:
            target = _csr_ids(td, rows, cols)
        else:
            data = np.asarray(td.data, dtype=np.int64)
            if data.size != rows * cols:
                raise UserInputError("target_prompt_logprobs", f"{data.size} values do not fill shape {shape}")
            target = TargetIds(data.reshape(rows, cols), None)
    except (OverflowError, ValueError, TypeError) as exc:
        if isinstance(exc, UserInputError):
            raise
        raise UserInputError("target_prompt_logprobs", f"values are not int64 token ids: {exc}") from None
    if np.any(target.ids < -1):
        raise UserInputError("target_prompt_logprobs", "token ids must be >= 0, or -1 for none")
    named = np.unique(target.ids[target.ids >= 0])
    if named.size == 0:
        raise UserInputError("target_prompt_logprobs", "names no token id (every cell is -1)")
    if named.size > MAX_TOPK:
        raise UserInputError("target_prompt_logprobs", f"names {named.size} distinct ids; at most {MAX_TOPK}")
    return target


def first_computed(request: SampleRequest, prompt_len: int, target: TargetIds | None) -> int:
    """The first prompt position whose output this request needs (``model.prefix_cache`` rule)."""
    needed = prompt_len - 1
    if request.prompt_logprobs or request.topk_prompt_logprobs:
        last_n = request.prompt_logprobs_last_n
        needed = min(needed, 0 if last_n is None else prompt_len - 1 - last_n)
    if request.prompt_alt_tokens_k:
        needed = 0
    if target is not None:
        needed = min(needed, int(np.flatnonzero(np.any(target.ids >= 0, axis=1))[0]))
    return needed


def prompt_outputs(
    model: LoraModel, prompt: IntArray, request: SampleRequest, target: TargetIds | None, seed: int, temperature: float
) -> PromptOutputs:
    """Everything prompt-level the request asked for (no cache count: the caller adds it)."""
    wanted = (
        request.prompt_logprobs or request.topk_prompt_logprobs or target is not None or request.prompt_alt_tokens_k
    )
    if not wanted:
        return PromptOutputs()
    dists = model.log_distributions(prompt[:-1]) if len(prompt) > 1 else np.zeros((0, model.vocab_size))
    last_n = request.prompt_logprobs_last_n
    alt = None
    if request.prompt_alt_tokens_k:
        rng = np.random.default_rng([seed % 2**64, ALT_STREAM])
        alt = ps.alternative_tokens(dists, request.prompt_alt_tokens_k, temperature, rng)
    return PromptOutputs(
        prompt_logprobs=ps.prompt_logprobs(dists, prompt, last_n) if request.prompt_logprobs else None,
        topk_prompt=ps.prompt_top_k(dists, len(prompt), request.topk_prompt_logprobs, last_n)
        if request.topk_prompt_logprobs
        else None,
        target_values=ps.target_logprobs(dists, target.ids) if target is not None else None,
        target_csr=target.csr if target is not None else None,
        alt_tokens=alt,
    )
