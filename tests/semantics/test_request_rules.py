"""Server-side rules for chunks and sampling extras that a port (not the official SDK) could break.

``mock_server.chunks`` (protocol §5.1, §7.1, §8.3) and ``mock_server.sample_extras`` (§5.1, §9.3):
the official SDK never sends these malformed requests, so they are checked directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinker_harness.contracts._sampling import SampleRequest
from tinker_harness.contracts._tensors import ModelInput, TensorData
from tinker_harness.mock_server.chunks import DMEL_TOKEN_ID, MAX_CHUNK_POSITIONS, dmel_length, json_input_tokens
from tinker_harness.mock_server.model import UserInputError
from tinker_harness.mock_server.sample_extras import MAX_TOPK, check_extras, decode_target_ids, first_computed
from tinker_harness.mock_server.tokenizer import IMAGE_TOKEN_ID

PNG = b"\x89PNG\r\n\x1a\n" + bytes(8)
JPEG = b"\xff\xd8\xff\xe0" + bytes(8)


def _input(*chunks: dict[str, Any]) -> ModelInput:
    return ModelInput.model_validate({"chunks": list(chunks)})


def test_dmel_length_reads_the_tensor_container_header() -> None:
    assert dmel_length(bytes([1, 2, 4, 80])) == 4
    assert dmel_length(bytes([254, 3, 1, 0x96, 0x01])) == 150  # constant marker, multi-byte varint
    for bad in (b"", bytes([8, 1, 1]), bytes([1, 0]), bytes([1, 1, 0x80])):
        with pytest.raises(ValueError):
            dmel_length(bad)


def test_chunk_positions_in_sampling_prompts() -> None:
    tokens = json_input_tokens(
        _input(
            {"type": "encoded_text", "tokens": [5, 6]},
            {"type": "image", "data": PNG, "format": "png", "expected_tokens": 2},
            {"type": "image", "data": JPEG, "format": "jpeg", "expected_tokens": 1},
            {"type": "image_asset_pointer", "format": "png", "location": "s3://x", "expected_tokens": 2},
            {"type": "dmel", "dmel": bytes([1, 1, 3])},
        ),
        "prompt",
        training=False,
    )
    expected = [5, 6] + [IMAGE_TOKEN_ID] * 5 + [DMEL_TOKEN_ID] * 3
    np.testing.assert_array_equal(tokens, expected)


@pytest.mark.parametrize(
    ("chunk", "training", "fragment"),
    [
        (
            {"type": "image_asset_pointer", "format": "png", "location": "s3://x", "expected_tokens": 2},
            True,
            "cannot be used in forward",
        ),
        ({"type": "image", "data": PNG, "format": "png"}, False, "expected_tokens must be 1..32768"),
        (
            {"type": "image", "data": PNG, "format": "png", "expected_tokens": MAX_CHUNK_POSITIONS + 1},
            False,
            "expected_tokens",
        ),
        ({"type": "image", "data": JPEG, "format": "png", "expected_tokens": 1}, False, "not a png image"),
        ({"type": "image_asset_pointer", "format": "png", "location": "", "expected_tokens": 1}, False, "location"),
        ({"type": "dmel", "dmel": bytes([1, 1, 0])}, False, "the DMel length must be 1..32768"),
        ({"type": "encoded_text", "tokens": [2**31]}, False, "int32"),
    ],
)
def test_chunk_refusals_name_the_chunk(chunk: dict[str, Any], training: bool, fragment: str) -> None:
    with pytest.raises(UserInputError) as info:
        json_input_tokens(
            _input({"type": "encoded_text", "tokens": [1]}, chunk), "data[0].model_input", training=training
        )
    assert info.value.key == "data[0].model_input.chunks[1]"
    assert fragment in str(info.value)


def _request(**fields: Any) -> SampleRequest:
    return SampleRequest.model_validate({"prompt": {"chunks": []}, "sampling_params": {}, **fields})


def _ids(rows: list[list[int]], sparse: bool = False) -> TensorData:
    arr = np.asarray(rows, dtype=np.int64)
    if not sparse:
        return TensorData(data=arr.reshape(-1).tolist(), dtype="int64", shape=list(arr.shape))
    listed = arr != -1
    crow = np.concatenate([[0], np.cumsum(listed.sum(axis=1))]).tolist()
    col = np.nonzero(listed)[1].tolist()
    return TensorData(
        data=arr[listed].tolist(),
        dtype="int64",
        shape=list(arr.shape),
        sparse_crow_indices=crow,
        sparse_col_indices=col,
    )


def test_target_prompt_logprobs_decoding() -> None:
    rows = [[-1, -1], [4, -1], [-1, 7]]
    dense, sparse = decode_target_ids(_ids(rows), 4), decode_target_ids(_ids(rows, sparse=True), 4)
    np.testing.assert_array_equal(dense.ids, rows)
    np.testing.assert_array_equal(sparse.ids, rows)
    assert dense.csr is None and sparse.csr is not None
    assert first_computed(_request(target_prompt_logprobs=_ids(rows).model_dump()), 4, dense) == 1
    bad = [
        (_ids([[1, 2]]), "shape [len(prompt) - 1 = 3"),
        (_ids([[-1], [-1], [-1]]), "names no token id"),
        (_ids([[-2], [1], [1]]), "must be >= 0, or -1"),
        (_ids([list(range(MAX_TOPK + 1))] * 3), "distinct ids"),
        (TensorData(data=[1.0, 2.0, 3.0], dtype="float32", shape=[3, 1]), "int64 2-D"),
        (
            TensorData(data=[1], dtype="int64", shape=[3, 1], sparse_crow_indices=[0, 2, 1, 1], sparse_col_indices=[0]),
            "CSR",
        ),
    ]
    for tensor, fragment in bad:
        with pytest.raises(UserInputError, match="^target_prompt_logprobs: ") as info:
            decode_target_ids(tensor, 4)
        assert fragment in str(info.value)


def test_extra_bounds_and_what_must_be_computed() -> None:
    for field in ("topk_prompt_logprobs", "topk_sample_logprobs", "prompt_alt_tokens_k"):
        with pytest.raises(UserInputError, match=f"^{field}: expected 0..{MAX_TOPK}"):
            check_extras(_request(**{field: MAX_TOPK + 1}), 5)
    with pytest.raises(UserInputError, match="requires prompt_logprobs=true"):
        check_extras(_request(prompt_logprobs_last_n=2), 5)
    with pytest.raises(UserInputError, match="between 1 and len"):
        check_extras(_request(prompt_logprobs=True, prompt_logprobs_last_n=5), 5)
    assert first_computed(_request(), 5, None) == 4
    assert first_computed(_request(prompt_logprobs=True), 5, None) == 0
    assert first_computed(_request(prompt_logprobs=True, prompt_logprobs_last_n=2), 5, None) == 2
    assert first_computed(_request(prompt_alt_tokens_k=1), 5, None) == 0
