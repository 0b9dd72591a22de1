"""Body handling shared by recorders and players: content decoding, protobuf types, readable views.

Bodies are stored decoded. ``Content-Encoding`` (zstd on ``/forward_backward``, protocol reference
§2.1; gzip/deflate/zstd on answers) is removed before scrubbing, so secrets cannot hide in
compressed bytes. Which protobuf message a body holds follows the catalogue (§5 row 11, §7): the
request of ``/forward_backward`` is a ``ForwardBackwardRequest``; a protobuf ``retrieve_future``
answer (§6.2) is the result type of the future's origin, known from ``X-Tinker-Request-Type`` or
from the submit answer that handed out its ``request_id``.
"""

from __future__ import annotations

import zlib
from typing import Any

import zstandard
from google.protobuf.message import Message

from tinker_harness.contracts.catalogue import CATALOGUE, Endpoint, match_endpoint
from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.proto_json import decode_proto, proto_to_json
from tinker_harness.contracts.request_json import load_json
from tinker_harness.contracts.tensor_codec import WireFormatError

__all__ = [
    "PROTOBUF",
    "decode_content",
    "endpoint_of",
    "is_protobuf",
    "json_or_none",
    "proto_view",
    "result_proto_for",
]

PROTOBUF = "application/x-protobuf"
MAX_DECODED_BYTES = 512 * 1024 * 1024

# X-Tinker-Request-Type -> the protobuf result of that future (§2.1, §6.2); "Forward" rides /forward_backward.
_RESULT_BY_REQUEST_TYPE: dict[str, type[Message]] = {
    e.request_type: e.proto_result for e in CATALOGUE if e.request_type and e.proto_result is not None
}
_RESULT_BY_REQUEST_TYPE["Forward"] = pb.ForwardBackwardOutput


def endpoint_of(method: str, path: str) -> Endpoint | None:
    matched = match_endpoint(method.upper(), path)
    return matched[0] if matched else None


def is_protobuf(content_type: str | None) -> bool:
    return PROTOBUF in (content_type or "").lower()


def decode_content(body: bytes, encoding: str | None) -> bytes | None:
    """``body`` without its ``Content-Encoding``; None when the encoding is unknown or the bytes corrupt."""
    name = (encoding or "identity").strip().lower()
    if not body or name in ("", "identity"):
        return body
    try:
        if name == "zstd":
            return zstandard.ZstdDecompressor().decompress(body, max_output_size=MAX_DECODED_BYTES)
        if name in ("gzip", "x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if name == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except (zstandard.ZstdError, zlib.error):
        return None
    return None


def result_proto_for(request_type: str | None, origin: Endpoint | None) -> type[Message] | None:
    """The protobuf message of a future's result: by request type first, then by the submitting endpoint."""
    if request_type and request_type in _RESULT_BY_REQUEST_TYPE:
        return _RESULT_BY_REQUEST_TYPE[request_type]
    return origin.proto_result if origin is not None else None


def proto_view(message_type: type[Message], body: bytes) -> dict[str, Any]:
    """``{"protobuf": name, "message": readable JSON}``, or ``undecodable`` with the reason."""
    try:
        return {"protobuf": message_type.__name__, "message": proto_to_json(decode_proto(message_type, body))}
    except WireFormatError as exc:
        return {"protobuf": message_type.__name__, "undecodable": str(exc), "bytes": len(body)}


def json_or_none(body: bytes) -> Any:
    """The parsed JSON of ``body``, or None when it is not JSON."""
    if not body:
        return None
    try:
        return load_json(body)
    except ValueError:
        return None
