"""Tensors, model-input chunks and datums in their JSON form (protocol reference §5.1, §7.1, §8.4, §19).

``TensorData``, ``Datum`` and ``ForwardBackwardInput`` mirror the pydantic twins the SDK keeps in
``tinker.types._pydantic_types`` (the public names are dataclasses): this is the JSON shape that
SDK 0.15/0.22 post to ``/api/v1/forward`` and ``/api/v1/forward_backward`` (versions doc §3) and
that ``SampleRequest.target_prompt_logprobs`` still uses. Binary chunk payloads (``ImageChunk.data``,
``DmelChunk.dmel``) travel as standard base64 strings, exactly as the SDK encodes them.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BeforeValidator, ConfigDict, PlainSerializer, Tag

from ._base import RequestModel
from ._schema_rules import both_or_neither_non_null, schema_rules
from ._tags import tagged

__all__ = [
    "Base64Data",
    "Datum",
    "DmelChunk",
    "EncodedTextChunk",
    "ForwardBackwardInput",
    "ImageAssetPointerChunk",
    "ImageChunk",
    "ImageFormat",
    "LossFnType",
    "ModelInput",
    "ModelInputChunk",
    "StopReason",
    "TensorData",
    "TensorDtype",
]

TensorDtype: TypeAlias = Literal["int64", "float32"]
"""Element type of a ``TensorData`` (§19)."""

LossFnType: TypeAlias = Literal[
    "cross_entropy",
    "importance_sampling",
    "ppo",
    "cispo",
    "dro",
    "gspo",
    "stable_reinforce",
    "custom",
]
"""Loss function names accepted by the 0.38.0 SDK (§8.4); 0.15/0.22 know only the first five."""

StopReason: TypeAlias = Literal["length", "stop"]
"""Why a sampled sequence ended (§7.2)."""

ImageFormat: TypeAlias = Literal["png", "jpeg"]
"""Encoding of an image chunk."""


def _decode_base64(value: Any) -> Any:
    # The SDK decodes strings with ``base64.b64decode`` and lets raw bytes through unchanged.
    if isinstance(value, str):
        return base64.b64decode(value)
    return value


def _encode_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


Base64Data: TypeAlias = Annotated[
    bytes,
    BeforeValidator(_decode_base64),
    PlainSerializer(_encode_base64, return_type=str, when_used="json"),
]
"""Bytes that are a standard base64 string in JSON (no line breaks), raw bytes in Python."""


class TensorData(RequestModel):
    """A dense or CSR tensor in JSON form (``loss_fn_inputs``, ``target_prompt_logprobs``, §4.1 results).

    CSR tensors set both index lists and ``shape``; the SDK asserts that only when densifying.
    """

    model_config = ConfigDict(
        json_schema_extra=schema_rules(both_or_neither_non_null("sparse_crow_indices", "sparse_col_indices"))
    )

    data: list[int] | list[float]
    dtype: TensorDtype
    shape: list[int] | None = None
    sparse_crow_indices: list[int] | None = None
    sparse_col_indices: list[int] | None = None


class EncodedTextChunk(RequestModel):
    """Token ids of a model-input chunk (``type: "encoded_text"``)."""

    tokens: list[int]
    type: Literal["encoded_text"] = "encoded_text"


class ImageChunk(RequestModel):
    """An inline image chunk; ``data`` is base64 in JSON (``type: "image"``)."""

    data: Base64Data
    format: ImageFormat
    expected_tokens: int | None = None
    type: Literal["image"] = "image"


class ImageAssetPointerChunk(RequestModel):
    """An image chunk referring to an asset by location (``type: "image_asset_pointer"``)."""

    format: ImageFormat
    location: str
    expected_tokens: int | None = None
    type: Literal["image_asset_pointer"] = "image_asset_pointer"


class DmelChunk(RequestModel):
    """A serialized DMel token tensor, base64 in JSON (``type: "dmel"``)."""

    dmel: Base64Data
    type: Literal["dmel"] = "dmel"


def _guess_chunk_kind(chunk: Mapping[str, Any]) -> str | None:
    # SDK 0.15 omits the tag; the SDK's own plain union picks the member whose fields fit.
    if "tokens" in chunk:
        return "encoded_text"
    if "location" in chunk:
        return "image_asset_pointer"
    if "dmel" in chunk:
        return "dmel"
    if "data" in chunk:
        return "image"
    return None


ModelInputChunk: TypeAlias = Annotated[
    Annotated[EncodedTextChunk, Tag("encoded_text")]
    | Annotated[ImageAssetPointerChunk, Tag("image_asset_pointer")]
    | Annotated[ImageChunk, Tag("image")]
    | Annotated[DmelChunk, Tag("dmel")],
    tagged(infer=_guess_chunk_kind),
]
"""One chunk of a ``ModelInput``, dispatched on ``type`` (inferred from the keys when absent)."""


class ModelInput(RequestModel):
    """A prompt or datum input: an ordered list of chunks (§5.1 ``SampleRequest.prompt``)."""

    chunks: list[ModelInputChunk]


class Datum(RequestModel):
    """One training example in JSON form (SDK 0.15/0.22 forward/forward_backward bodies)."""

    loss_fn_inputs: dict[str, TensorData]
    model_input: ModelInput


class ForwardBackwardInput(RequestModel):
    """The ``forward_input`` / ``forward_backward_input`` object of the JSON training bodies."""

    data: list[Datum]
    loss_fn: LossFnType
    loss_fn_config: dict[str, float | str] | None = None
