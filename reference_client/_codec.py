"""Protobuf bodies <-> Python values (protocol reference §7, §7.1-§7.3).

``encode_forward_backward`` turns JSON-shaped :class:`contracts.Datum` values into the
``tinker_public.ForwardBackwardRequest`` the server takes on ``/forward_backward``: token chunks
as packed int32, tensors as dense little-endian bytes (or CSR when the ``TensorData`` is sparse),
``loss_fn_config`` written twice like the SDK (numbers to both maps, strings to ``_v2`` only).
The two decoders read ``ForwardBackwardOutput`` and ``SampleResponse`` into :mod:`._results`.
Malformed bytes raise ``contracts.tensor_codec.WireFormatError``; callers add the exchange.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tinker_harness.contracts import (
    Datum,
    DmelChunk,
    EncodedTextChunk,
    ImageAssetPointerChunk,
    ImageChunk,
    LossFnType,
    ModelInputChunk,
    StopReason,
    TensorData,
)
from tinker_harness.contracts import tensor_codec as tc
from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.proto_json import decode_proto

from ._results import ForwardBackwardResult, SampledSequence, SampleResult, TopkLogprobs

__all__ = ["decode_forward_backward", "decode_sample", "encode_forward_backward", "tensor_to_proto"]

_NUMPY_DTYPE: dict[str, np.dtype[Any]] = {"float32": np.dtype("<f4"), "int64": np.dtype("<i8")}
_PROTO_DTYPE = {"float32": pb.DTYPE_FLOAT32, "int64": pb.DTYPE_INT64}


def _chunk_to_proto(chunk: ModelInputChunk) -> pb.Chunk:
    if isinstance(chunk, EncodedTextChunk):
        return pb.Chunk(encoded_text=pb.EncodedTextChunk(tokens=tc.int32_bytes(chunk.tokens)))
    if isinstance(chunk, ImageChunk):
        image = pb.ImageChunk(data=chunk.data, format=chunk.format)
        if chunk.expected_tokens is not None:
            image.expected_tokens = chunk.expected_tokens
        return pb.Chunk(image=image)
    if isinstance(chunk, DmelChunk):
        return pb.Chunk(dmel=pb.DmelChunk(dmel=chunk.dmel))
    assert isinstance(chunk, ImageAssetPointerChunk)
    raise ValueError("image_asset_pointer chunks cannot be sent to forward_backward (the SDK refuses them too)")


def tensor_to_proto(tensor: TensorData) -> pb.Tensor:
    """A JSON ``TensorData`` as a protobuf ``Tensor`` in its declared dtype (§7.1)."""
    values = np.asarray(tensor.data, dtype=_NUMPY_DTYPE[tensor.dtype]).tobytes()
    shape = list(tensor.shape) if tensor.shape is not None else [len(tensor.data)]
    message = pb.Tensor(dtype=_PROTO_DTYPE[tensor.dtype], shape=shape)
    if tensor.sparse_crow_indices is not None and tensor.sparse_col_indices is not None:
        message.sparse_csr.CopyFrom(
            pb.SparseCsr(
                values=values,
                crow_indices=np.asarray(tensor.sparse_crow_indices, dtype="<i8").tobytes(),
                col_indices=np.asarray(tensor.sparse_col_indices, dtype="<i8").tobytes(),
            )
        )
    else:
        message.dense = values
    return message


def encode_forward_backward(
    model_id: str,
    seq_id: int,
    data: Sequence[Datum],
    loss_fn: LossFnType,
    loss_fn_config: Mapping[str, float | str] | None,
    *,
    forward_only: bool,
) -> bytes:
    """The serialized ``ForwardBackwardRequest`` of one chunk."""
    message = pb.ForwardBackwardRequest(model_id=model_id, seq_id=seq_id, loss_fn=loss_fn, forward_only=forward_only)
    for key, value in (loss_fn_config or {}).items():
        if isinstance(value, str):
            message.loss_fn_config_v2[key].text = value
        else:
            message.loss_fn_config[key] = float(value)
            message.loss_fn_config_v2[key].number = float(value)
    for datum in data:
        encoded = message.data.add()
        encoded.model_input.extend(_chunk_to_proto(chunk) for chunk in datum.model_input.chunks)
        for name, tensor in datum.loss_fn_inputs.items():
            encoded.loss_fn_inputs[name].CopyFrom(tensor_to_proto(tensor))
    return message.SerializeToString()


def decode_forward_backward(body: bytes) -> ForwardBackwardResult:
    """A ``ForwardBackwardOutput``: fields split per datum by byte offsets, records concatenated (§7.3)."""
    message = decode_proto(pb.ForwardBackwardOutput, body)
    assert isinstance(message, pb.ForwardBackwardOutput)
    metrics = {key: float(value) for key, value in message.metrics.items()}
    if not message.loss_fn_outputs:
        return ForwardBackwardResult(message.loss_fn_output_type or "ArrayRecord", [], metrics)
    per_field: dict[str, list[Any]] = {}
    for r, record in enumerate(message.loss_fn_outputs):
        for name, batched in record.fields.items():
            per_field.setdefault(name, []).extend(tc.batched_to_arrays(batched, f"loss_fn_outputs[{r}].{name}"))
    count = sum(record.num_datums for record in message.loss_fn_outputs)
    if count == 0 and per_field:
        count = len(next(iter(per_field.values())))
    outputs = [{name: arrays[i] for name, arrays in per_field.items()} for i in range(count)]
    return ForwardBackwardResult(message.loss_fn_output_type.rsplit(":", 1)[-1], outputs, metrics)


def _topk(message: pb.TopkLogprobs, where: str) -> TopkLogprobs | None:
    if message.length == 0 or message.k == 0:
        return None
    shape = (message.length, message.k)
    return TopkLogprobs(
        token_ids=tc.read_int32(message.token_ids, f"{where}.token_ids").reshape(shape),
        logprobs=tc.read_float32(message.logprobs, f"{where}.logprobs").reshape(shape),
    )


def _stop_reason(value: int) -> StopReason:
    if value == pb.STOP_REASON_STOP:
        return "stop"
    if value == pb.STOP_REASON_LENGTH:
        return "length"
    raise tc.WireFormatError(f"unknown stop_reason {value}")


def decode_sample(body: bytes, sequence_ids: Sequence[str]) -> SampleResult:
    """A ``SampleResponse``; sequence ``i`` gets ``sequence_ids[i]`` from the asample future (§7.2)."""
    message = decode_proto(pb.SampleResponse, body)
    assert isinstance(message, pb.SampleResponse)
    if len(sequence_ids) != len(message.sequences):
        raise tc.WireFormatError(f"{len(message.sequences)} sequences but {len(sequence_ids)} sample_sequence_ids")
    sequences = []
    for i, (seq, sequence_id) in enumerate(zip(message.sequences, sequence_ids, strict=True)):
        logprobs = tc.read_float32(seq.logprobs, f"sequences[{i}].logprobs") if seq.HasField("logprobs") else None
        sequences.append(
            SampledSequence(
                stop_reason=_stop_reason(seq.stop_reason),
                tokens=tc.read_int32(seq.tokens, f"sequences[{i}].tokens").tolist(),
                logprobs=logprobs.tolist() if logprobs is not None and logprobs.size else None,
                sequence_id=sequence_id,
                topk_logprobs=_topk(seq.topk_sampled_logprobs, f"sequences[{i}].topk_sampled_logprobs")
                if seq.HasField("topk_sampled_logprobs")
                else None,
            )
        )
    prompt_logprobs = None
    if message.HasField("prompt_logprobs") and message.prompt_logprobs:
        raw = tc.read_float32(message.prompt_logprobs, "prompt_logprobs").tolist()
        prompt_logprobs = [None if np.isnan(v) else v for v in raw]
    topk_prompt = (
        _topk(message.topk_prompt_logprobs, "topk_prompt_logprobs")
        if message.HasField("topk_prompt_logprobs")
        else None
    )
    return SampleResult(sequences, prompt_logprobs, topk_prompt, message.prompt_cache_hit_tokens)
