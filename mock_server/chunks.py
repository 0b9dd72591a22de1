"""Model-input chunks -> the token positions the tiny model sees (protocol §5.1 chunks, §7 ``Chunk``, §8.3).

Every chunk consumes as many positions as the SDK's ``chunk.length`` says, so ``model_input.length``
and the ``loss_fn_inputs`` shapes agree with what the client computed:

- ``encoded_text``: its tokens (must fit int32, the protobuf wire type).
- ``image``: ``expected_tokens`` positions (required, 1..``MAX_CHUNK_POSITIONS``), each read as
  ``IMAGE_TOKEN_ID``; ``data`` must start with the PNG or JPEG signature of its ``format``
  (the real backend derives the token count from the image and fails early on a mismatch).
- ``image_asset_pointer``: same rule with a non-empty ``location`` — accepted in sampling prompts
  only. The SDK refuses it client-side for forward/forward_backward (§7.1, ``request_conv``); a
  port sending it there (JSON bodies of SDK 0.15/0.22) gets the same refusal as a user error.
- ``dmel`` (mock rule, undocumented upstream): the chunk is TensorContainer bytes whose header the
  SDK reads for ``DmelChunk.length`` (``tinker/types/_tensor_container.py``: optional 254 marker,
  dtype byte 0..7, varint ndim, varint dims); it occupies ``shape[0]`` positions, each read as
  ``DMEL_TOKEN_ID`` (= ``PAD_TOKEN_ID``; the shipped tokenizer has no audio token).

Problems are ``UserInputError``s naming the chunk (e.g. ``data[0].model_input[2]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tinker_harness.contracts import tensor_codec as tc
from tinker_harness.contracts._tensors import ModelInput
from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.mock_server.model import UserInputError
from tinker_harness.mock_server.tokenizer import IMAGE_TOKEN_ID, PAD_TOKEN_ID

__all__ = ["DMEL_TOKEN_ID", "MAX_CHUNK_POSITIONS", "dmel_length", "json_input_tokens", "proto_input_tokens"]

DMEL_TOKEN_ID = PAD_TOKEN_ID
MAX_CHUNK_POSITIONS = 32768
_SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff"}
_ASSET_IN_TRAINING = (
    "image_asset_pointer chunks cannot be used in forward/forward_backward (the SDK refuses them "
    "client-side); send the image bytes as an image chunk"
)


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if offset >= len(data) or shift > 63:
            raise ValueError("truncated or overlong varint in the TensorContainer header")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7


def dmel_length(data: bytes) -> int:
    """``shape[0]`` of a TensorContainer header (as the SDK's ``DmelChunk.length``); ValueError if malformed."""
    offset = 1 if data[:1] == b"\xfe" else 0
    if offset >= len(data) or data[offset] > 7:
        raise ValueError("not a TensorContainer: missing or unknown dtype byte")
    ndim, offset = _varint(data, offset + 1)
    if ndim < 1:
        raise ValueError("the DMel tensor must have at least one dimension")
    length, _ = _varint(data, offset)
    return length


def _positions(count: int | None, what: str) -> int:
    if count is None or not 1 <= count <= MAX_CHUNK_POSITIONS:
        raise ValueError(f"{what} must be 1..{MAX_CHUNK_POSITIONS} positions, got {count}")
    return count


def _image(data: bytes, fmt: str, expected: int | None) -> list[int]:
    signature = _SIGNATURES.get(fmt)
    if signature is None:
        raise ValueError(f"image format must be 'png' or 'jpeg', got {fmt!r}")
    if not data.startswith(signature):
        raise ValueError(f"image data is not a {fmt} image (its signature bytes do not match)")
    return [IMAGE_TOKEN_ID] * _positions(expected, "expected_tokens")


def _chunk(kind: str | None, chunk: Any, where: str, training: bool) -> list[int]:
    try:
        if kind == "image":
            return _image(bytes(chunk.data), str(chunk.format), chunk.expected_tokens)
        if kind == "image_asset_pointer":
            if training:
                raise ValueError(_ASSET_IN_TRAINING)
            if not chunk.location:
                raise ValueError("image_asset_pointer needs a non-empty location")
            return [IMAGE_TOKEN_ID] * _positions(chunk.expected_tokens, "expected_tokens")
        if kind == "dmel":
            return [DMEL_TOKEN_ID] * _positions(dmel_length(bytes(chunk.dmel)), "the DMel length")
    except ValueError as exc:
        raise UserInputError(where, f"{kind} chunk: {exc}") from None
    raise UserInputError(where, f"{kind or 'empty'} chunks are not supported")


def _check_int32(tokens: Sequence[int], where: str) -> None:
    if any(not -(2**31) <= t < 2**31 for t in tokens):
        raise UserInputError(where, "token ids must fit in int32 (the protobuf wire type of tokens)")


def json_input_tokens(model_input: ModelInput, where: str, *, training: bool) -> npt.NDArray[np.int64]:
    """Positions of a JSON ``ModelInput`` (sampling prompts, SDK 0.15/0.22 training bodies)."""
    out: list[int] = []
    for i, chunk in enumerate(model_input.chunks):
        cw = f"{where}.chunks[{i}]"
        if chunk.type == "encoded_text":
            _check_int32(chunk.tokens, cw)
            out += chunk.tokens
        else:
            out += _chunk(chunk.type, chunk, cw, training)
    return np.asarray(out, dtype=np.int64)


class _ProtoImage:
    def __init__(self, image: pb.ImageChunk) -> None:
        self.data, self.format = image.data, image.format
        self.expected_tokens = image.expected_tokens if image.HasField("expected_tokens") else None


def proto_input_tokens(chunks: Sequence[pb.Chunk], where: str) -> npt.NDArray[np.int64]:
    """Positions of a protobuf datum's ``model_input`` (always a training request)."""
    out: list[int] = []
    for i, chunk in enumerate(chunks):
        kind = chunk.WhichOneof("chunk")
        cw = f"{where}.model_input[{i}]"
        if kind == "encoded_text":
            out += tc.read_int32(chunk.encoded_text.tokens, f"{cw}.encoded_text.tokens").tolist()
        elif kind == "image":
            out += _chunk(kind, _ProtoImage(chunk.image), cw, training=True)
        else:
            out += _chunk(kind, chunk.dmel if kind == "dmel" else None, cw, training=True)
    return np.asarray(out, dtype=np.int64)
