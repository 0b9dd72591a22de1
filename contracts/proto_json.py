"""Readable JSON views of the protobuf bodies (protocol reference §7).

Journals, cassettes and wire diffs need protobuf bodies as data a person can read and compare with
the JSON encodings older SDKs use: packed token bytes become lists of ints, packed float32 become
lists of floats (NaN as ``null``), tensors become ``{"dtype", "shape", "data"}``. The views are
lossy for exotic dtypes on purpose; the exact bytes are kept elsewhere when they matter.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError, Message

from tinker_harness.contracts import tensor_codec as tc
from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.provenance import spans_from_proto, spans_view

__all__ = ["PROTO_MESSAGES", "decode_proto", "proto_to_json"]

PROTO_MESSAGES: dict[str, type[Message]] = {
    "ForwardBackwardRequest": pb.ForwardBackwardRequest,
    "ForwardBackwardOutput": pb.ForwardBackwardOutput,
    "SampleResponse": pb.SampleResponse,
}


def _floats(values: np.ndarray[Any, Any]) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


def _tensor(t: pb.Tensor, where: str) -> dict[str, Any]:
    array = tc.tensor_to_array(t, where)
    data: list[Any] = array.reshape(-1).tolist() if array.dtype.kind in "iu" else _floats(array.reshape(-1))
    view: dict[str, Any] = {
        "dtype": "int64" if array.dtype.kind in "iu" else "float32",
        "shape": list(array.shape),
        "data": data,
    }
    if t.WhichOneof("encoding") == "sparse_csr":
        view["encoding"] = "sparse_csr"
    return view


def _topk(t: pb.TopkLogprobs, where: str) -> dict[str, Any]:
    ids = tc.read_int32(t.token_ids, f"{where}.token_ids").tolist()
    lps = _floats(tc.read_float32(t.logprobs, f"{where}.logprobs"))
    return {"k": t.k, "length": t.length, "token_ids": ids, "logprobs": lps}


def _chunk(c: pb.Chunk, where: str) -> dict[str, Any]:
    kind = c.WhichOneof("chunk")
    if kind == "encoded_text":
        return {"type": "encoded_text", "tokens": tc.read_int32(c.encoded_text.tokens, f"{where}.tokens").tolist()}
    if kind == "image":
        view: dict[str, Any] = {"type": "image", "format": c.image.format, "data_bytes": len(c.image.data)}
        if c.image.HasField("expected_tokens"):
            view["expected_tokens"] = c.image.expected_tokens
        return view
    if kind == "dmel":
        return {"type": "dmel", "dmel_bytes": len(c.dmel.dmel)}
    return {"type": None}


def _fwdbwd_request(m: pb.ForwardBackwardRequest) -> dict[str, Any]:
    data = []
    for i, d in enumerate(m.data):
        where = f"data[{i}]"
        view: dict[str, Any] = {
            "model_input": [_chunk(c, f"{where}.model_input[{j}]") for j, c in enumerate(d.model_input)],
            "loss_fn_inputs": {
                k: _tensor(v, f"{where}.loss_fn_inputs[{k}]") for k, v in sorted(d.loss_fn_inputs.items())
            },
        }
        for name in ("model_input_spans", "loss_fn_input_spans"):  # provenance (SDK 0.38), when sent
            spans = spans_from_proto(getattr(d, name), f"{where}.{name}")
            if spans:
                view[name] = spans_view(spans)
        data.append(view)
    config: dict[str, Any] = dict(sorted(m.loss_fn_config.items()))
    for key, value in sorted(m.loss_fn_config_v2.items()):
        config[key] = value.number if value.WhichOneof("value") == "number" else value.text
    return {
        "model_id": m.model_id,
        "seq_id": m.seq_id,
        "loss_fn": m.loss_fn,
        "forward_only": m.forward_only,
        "loss_fn_config": config,
        "data": data,
    }


def _fwdbwd_output(m: pb.ForwardBackwardOutput) -> dict[str, Any]:
    outputs: list[dict[str, Any]] = []
    for r, record in enumerate(m.loss_fn_outputs):
        per_field = {
            name: tc.batched_to_arrays(bt, f"loss_fn_outputs[{r}].fields[{name}]")
            for name, bt in sorted(record.fields.items())
        }
        count = record.num_datums or (len(next(iter(per_field.values()))) if per_field else 0)
        for i in range(count):
            outputs.append(
                {
                    name: {"shape": list(arrays[i].shape), "data": _floats(arrays[i].reshape(-1))}
                    for name, arrays in per_field.items()
                    if i < len(arrays)
                }
            )
    return {
        "loss_fn_output_type": m.loss_fn_output_type,
        "loss_fn_outputs": outputs,
        "metrics": dict(sorted(m.metrics.items())),
    }


def _sample_response(m: pb.SampleResponse) -> dict[str, Any]:
    seqs = []
    for i, s in enumerate(m.sequences):
        seq: dict[str, Any] = {
            "stop_reason": "length" if s.stop_reason == pb.STOP_REASON_LENGTH else "stop",
            "tokens": tc.read_int32(s.tokens, f"sequences[{i}].tokens").tolist(),
        }
        if s.HasField("logprobs"):
            seq["logprobs"] = _floats(tc.read_float32(s.logprobs, f"sequences[{i}].logprobs"))
        if s.HasField("topk_sampled_logprobs"):
            seq["topk_logprobs"] = _topk(s.topk_sampled_logprobs, f"sequences[{i}].topk_sampled_logprobs")
        seqs.append(seq)
    view: dict[str, Any] = {"sequences": seqs, "prompt_cache_hit_tokens": m.prompt_cache_hit_tokens}
    if m.HasField("prompt_logprobs"):
        view["prompt_logprobs"] = _floats(tc.read_float32(m.prompt_logprobs, "prompt_logprobs"))
    if m.HasField("topk_prompt_logprobs"):
        view["topk_prompt_logprobs"] = _topk(m.topk_prompt_logprobs, "topk_prompt_logprobs")
    if m.HasField("target_prompt_logprobs"):
        view["target_prompt_logprobs"] = _tensor(m.target_prompt_logprobs, "target_prompt_logprobs")
    if m.HasField("prompt_alt_tokens"):
        view["prompt_alt_tokens"] = {
            "tokens": _tensor(m.prompt_alt_tokens.tokens, "prompt_alt_tokens.tokens"),
            "logprobs": _tensor(m.prompt_alt_tokens.logprobs, "prompt_alt_tokens.logprobs"),
        }
    return view


def proto_to_json(message: Message) -> dict[str, Any]:
    """The readable view of a decoded message (raises ``tensor_codec.WireFormatError`` if malformed)."""
    if isinstance(message, pb.ForwardBackwardRequest):
        return _fwdbwd_request(message)
    if isinstance(message, pb.ForwardBackwardOutput):
        return _fwdbwd_output(message)
    if isinstance(message, pb.SampleResponse):
        return _sample_response(message)
    raise TypeError(f"no JSON view for {type(message).__name__}")


def decode_proto(message_type: type[Message], body: bytes) -> Message:
    """Parse ``body``; raises ``tensor_codec.WireFormatError`` naming the message type when corrupt."""
    message = message_type()
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        raise tc.WireFormatError(f"body is not a valid tinker_public.{message_type.__name__}: {exc}") from None
    return message
