"""Wire bodies <-> the tiny model's arrays (protocol reference §7.1-§7.3, versions §3, §4.1).

Forward/backward requests arrive as protobuf (SDK >= 0.30, optionally zstd-compressed) or as JSON
(SDK 0.15/0.22); both decode to one :class:`FwdBwdCall`. Results are produced in both encodings
(protobuf for clients that accept it, JSON for the others) from the same arrays. Structural
problems of a body (corrupt protobuf, bytes that do not fill a shape) are 400 answers; problems of
meaning (a missing loss input, a shape that does not match the tokens) are left to the model,
which fails the future with category ``user``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import zstandard

from contracts import tensor_codec as tc
from contracts._tensors import ForwardBackwardInput, ModelInput
from contracts.proto import tinker_public_pb2 as pb
from contracts.proto_json import decode_proto
from mock_server.errors import ApiError
from mock_server.model import DatumArrays, UserInputError
from mock_server.tokenizer import IMAGE_TOKEN_ID

__all__ = [
    "FwdBwdCall",
    "SampledRow",
    "decode_fwdbwd_json",
    "decode_fwdbwd_proto",
    "decompress_body",
    "fwdbwd_result_bodies",
    "model_input_tokens",
    "sample_result_bodies",
]

MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class FwdBwdCall:
    model_id: str
    seq_id: int
    loss_fn: str
    loss_fn_config: dict[str, float | str]
    forward_only: bool
    datums: list[DatumArrays]
    # A problem of meaning found while decoding; the queued op fails its future with it (category user).
    problem: UserInputError | None = None


def decompress_body(body: bytes, content_encoding: str | None) -> bytes:
    """Undo ``Content-Encoding: zstd`` (§2.1); other encodings are refused with 400."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        return body
    if encoding != "zstd":
        raise ApiError(
            415, "unsupported-content-encoding", f"Content-Encoding {encoding!r} is not supported (use zstd)"
        )
    try:
        return zstandard.ZstdDecompressor().decompress(body, max_output_size=MAX_DECOMPRESSED_BYTES)
    except zstandard.ZstdError as exc:
        raise ApiError.bad_request("corrupt-zstd", f"body is not valid zstd data: {exc}") from None


def _chunk_tokens(kind: str | None, tokens: Sequence[int], expected: int | None, where: str) -> list[int]:
    if kind == "encoded_text":
        return list(tokens)
    if kind in ("image", "image_asset_pointer"):
        if expected is None or expected <= 0:
            raise UserInputError(where, "image chunks need expected_tokens > 0 to occupy positions")
        return [IMAGE_TOKEN_ID] * expected
    raise UserInputError(where, f"{kind or 'empty'} chunks are not supported by the mock model")


def model_input_tokens(model_input: ModelInput, where: str) -> npt.NDArray[np.int64]:
    """Token positions of a JSON ``ModelInput`` (images occupy ``expected_tokens`` positions)."""
    out: list[int] = []
    for i, chunk in enumerate(model_input.chunks):
        tokens = getattr(chunk, "tokens", ())
        out += _chunk_tokens(chunk.type, tokens, getattr(chunk, "expected_tokens", None), f"{where}.chunks[{i}]")
    if any(not -(2**31) <= t < 2**31 for t in out):
        raise UserInputError(where, "token ids must fit in int32 (the protobuf wire type of tokens)")
    return np.asarray(out, dtype=np.int64)


def _proto_tokens(chunks: Sequence[pb.Chunk], where: str) -> npt.NDArray[np.int64]:
    out: list[int] = []
    for i, chunk in enumerate(chunks):
        kind = chunk.WhichOneof("chunk")
        cw = f"{where}.model_input[{i}]"
        if kind == "encoded_text":
            out += tc.read_int32(chunk.encoded_text.tokens, f"{cw}.encoded_text.tokens").tolist()
        else:
            expected = (
                chunk.image.expected_tokens if kind == "image" and chunk.image.HasField("expected_tokens") else None
            )
            out += _chunk_tokens(kind, (), expected, cw)
    return np.asarray(out, dtype=np.int64)


def decode_fwdbwd_proto(body: bytes) -> FwdBwdCall:
    """A protobuf ``ForwardBackwardRequest``; a user error in the data is carried, not raised."""
    try:
        request = cast(pb.ForwardBackwardRequest, decode_proto(pb.ForwardBackwardRequest, body))
        config: dict[str, float | str] = {k: float(v) for k, v in request.loss_fn_config.items()}
        for key, value in request.loss_fn_config_v2.items():
            config[key] = value.number if value.WhichOneof("value") == "number" else value.text
        datums = []
        problem: UserInputError | None = None
        for i, d in enumerate(request.data):
            inputs = {k: tc.tensor_to_array(t, f"data[{i}].loss_fn_inputs[{k}]") for k, t in d.loss_fn_inputs.items()}
            try:
                tokens = _proto_tokens(d.model_input, f"data[{i}]")
            except UserInputError as exc:
                problem = problem or exc
                tokens = np.zeros(0, dtype=np.int64)
            datums.append(DatumArrays(tokens=tokens, loss_fn_inputs=inputs))
    except tc.WireFormatError as exc:
        raise ApiError.bad_request("malformed-protobuf", str(exc)) from None
    return FwdBwdCall(request.model_id, request.seq_id, request.loss_fn, config, request.forward_only, datums, problem)


def decode_fwdbwd_json(model_id: str, seq_id: int | None, body: ForwardBackwardInput, forward_only: bool) -> FwdBwdCall:
    """The JSON forms of SDK 0.15/0.22 (``forward_input`` / ``forward_backward_input``)."""
    datums = []
    problem: UserInputError | None = None
    try:
        for i, d in enumerate(body.data):
            inputs = {
                k: tc.json_tensor_to_array(
                    t.data,
                    t.dtype,
                    t.shape,
                    t.sparse_crow_indices,
                    t.sparse_col_indices,
                    f"data[{i}].loss_fn_inputs[{k}]",
                )
                for k, t in d.loss_fn_inputs.items()
            }
            try:
                tokens = model_input_tokens(d.model_input, f"data[{i}].model_input")
            except UserInputError as exc:
                problem = problem or exc
                tokens = np.zeros(0, dtype=np.int64)
            datums.append(DatumArrays(tokens=tokens, loss_fn_inputs=inputs))
    except tc.WireFormatError as exc:
        raise ApiError.bad_request("malformed-tensor", str(exc)) from None
    config = dict(body.loss_fn_config or {})
    return FwdBwdCall(model_id, seq_id or 0, body.loss_fn, config, forward_only, datums, problem)


def fwdbwd_result_bodies(
    outputs: Sequence[Mapping[str, npt.NDArray[Any]]], metrics: Mapping[str, float]
) -> tuple[dict[str, Any], bytes]:
    """The JSON (§4.1 of the versions reference) and protobuf (§7.3) forms of one result."""
    fields = sorted(outputs[0]) if outputs else []
    record = pb.ArrayRecord(type_tag="ArrayRecord", num_datums=len(outputs))
    for name in fields:
        record.fields[name].CopyFrom(tc.arrays_to_batched([np.asarray(o[name]) for o in outputs]))
    message = pb.ForwardBackwardOutput(loss_fn_output_type="ArrayRecord", metrics=dict(metrics))
    if outputs:
        message.loss_fn_outputs.append(record)
    json_body = {
        "loss_fn_output_type": "ArrayRecord",
        "loss_fn_outputs": [{k: tc.array_to_json_tensor(np.asarray(v)) for k, v in o.items()} for o in outputs],
        "metrics": dict(metrics),
    }
    return json_body, message.SerializeToString()


@dataclass(frozen=True)
class SampledRow:
    tokens: list[int]
    logprobs: list[float]
    stop_reason: str


def sample_result_bodies(
    rows: Sequence[SampledRow], prompt_logprobs: npt.NDArray[np.float64] | None, prompt_cache_hit_tokens: int = 0
) -> tuple[dict[str, Any], bytes]:
    """The JSON and protobuf (§7.2) forms of a sample result; prompt logprob 0 is NaN/None."""
    message = pb.SampleResponse(prompt_cache_hit_tokens=prompt_cache_hit_tokens)
    for row in rows:
        message.sequences.append(
            pb.SampledSequence(
                stop_reason=pb.STOP_REASON_LENGTH if row.stop_reason == "length" else pb.STOP_REASON_STOP,
                tokens=tc.int32_bytes(row.tokens),
                logprobs=tc.float32_bytes(row.logprobs),
            )
        )
    json_body: dict[str, Any] = {
        "type": "sample",
        "sequences": [{"stop_reason": r.stop_reason, "tokens": r.tokens, "logprobs": r.logprobs} for r in rows],
    }
    if prompt_logprobs is not None:
        message.prompt_logprobs = tc.float32_bytes(prompt_logprobs)
        json_body["prompt_logprobs"] = [None if np.isnan(v) else float(v) for v in prompt_logprobs]
    return json_body, message.SerializeToString()
