"""Wire bodies <-> the tiny model's arrays (protocol reference §7.1-§7.3, versions §3, §4.1).

Forward/backward requests arrive as protobuf (SDK >= 0.30, optionally zstd-compressed) or as JSON
(SDK 0.15/0.22); both decode to one :class:`FwdBwdCall`. Results are produced in both encodings
(protobuf for clients that accept it, JSON for the others) from the same arrays. Structural
problems of a body (corrupt protobuf, bytes that do not fill a shape) are 400 answers; problems of
meaning (a missing loss input, a shape that does not match the tokens, a chunk the model cannot
take — see ``mock_server.chunks``) are left to the op, which fails the future with category
``user``. Chunked calls (§8.3) arrive as separate requests with consecutive ``seq_id``s; the run's
queue executes them in ``seq_id`` order and every chunk adds to the same gradient accumulator.
Sample results are encoded in ``mock_server.sample_codec``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import zstandard

from tinker_harness.contracts import tensor_codec as tc
from tinker_harness.contracts._tensors import ForwardBackwardInput
from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.proto_json import decode_proto
from tinker_harness.contracts.provenance import DatumSpans, spans_from_proto
from tinker_harness.mock_server.chunks import json_input_tokens, proto_input_tokens
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.model import DatumArrays, UserInputError

__all__ = [
    "FwdBwdCall",
    "decode_fwdbwd_json",
    "decode_fwdbwd_proto",
    "body_too_large",
    "decompress_body",
    "fwdbwd_result_bodies",
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
    # Per datum, its provenance spans when it sent any (protobuf only; mock_server.provenance checks them).
    spans: list[DatumSpans | None] | None = None


def body_too_large(size: int, limit: int, what: str = "the request body") -> ApiError:
    """413 for a body over the server's ``max_request_bytes`` (RFC 9110 §15.5.14)."""
    return ApiError(413, "body-too-large", f"{what} is {size} bytes; this server takes at most {limit} bytes")


def decompress_body(body: bytes, content_encoding: str | None, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Undo ``Content-Encoding: zstd`` (§2.1), at most ``limit`` bytes of output (413 beyond);
    other encodings are refused with 415."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        return body
    if encoding != "zstd":
        raise ApiError(
            415, "unsupported-content-encoding", f"Content-Encoding {encoding!r} is not supported (use zstd)"
        )
    chunks: list[bytes] = []
    size = 0
    try:
        with zstandard.ZstdDecompressor().stream_reader(body) as reader:
            while chunk := reader.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise body_too_large(size, limit, "the decompressed request body (so far)")
                chunks.append(chunk)
    except zstandard.ZstdError as exc:
        raise ApiError.bad_request("corrupt-zstd", f"body is not valid zstd data: {exc}") from None
    return b"".join(chunks)


def decode_fwdbwd_proto(body: bytes) -> FwdBwdCall:
    """A protobuf ``ForwardBackwardRequest``; a user error in the data is carried, not raised."""
    try:
        request = cast(pb.ForwardBackwardRequest, decode_proto(pb.ForwardBackwardRequest, body))
        config: dict[str, float | str] = {k: float(v) for k, v in request.loss_fn_config.items()}
        for key, value in request.loss_fn_config_v2.items():
            config[key] = value.number if value.WhichOneof("value") == "number" else value.text
        datums = []
        spans: list[DatumSpans | None] = []
        problem: UserInputError | None = None
        for i, d in enumerate(request.data):
            inputs = {k: tc.tensor_to_array(t, f"data[{i}].loss_fn_inputs[{k}]") for k, t in d.loss_fn_inputs.items()}
            runs = DatumSpans(
                tuple(spans_from_proto(d.model_input_spans, f"data[{i}].model_input_spans")),
                tuple(spans_from_proto(d.loss_fn_input_spans, f"data[{i}].loss_fn_input_spans")),
            )
            spans.append(runs if runs.model_input or runs.loss_fn_inputs else None)
            try:
                tokens = proto_input_tokens(d.model_input, f"data[{i}]")
            except UserInputError as exc:
                problem = problem or exc
                tokens = np.zeros(0, dtype=np.int64)
            datums.append(DatumArrays(tokens=tokens, loss_fn_inputs=inputs))
    except tc.WireFormatError as exc:
        raise ApiError.bad_request("malformed-protobuf", str(exc)) from None
    return FwdBwdCall(
        request.model_id, request.seq_id, request.loss_fn, config, request.forward_only, datums, problem, spans
    )


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
                tokens = json_input_tokens(d.model_input, f"data[{i}].model_input", training=True)
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
