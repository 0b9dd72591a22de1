"""Both encodings of a sample result carry the same extras (protocol §7.2; versions doc §4.1).

The protobuf body is decoded with the official SDK's own ``deserialize_sample_response``; the JSON
body (for SDK 0.15/0.22) is validated with the contracts' ``JsonSampleResponse``.
"""

from __future__ import annotations

import numpy as np
from tinker.proto.response_conv import deserialize_sample_response

from tinker_harness.contracts import JsonSampleResponse
from tinker_harness.mock_server.model.prompt_scoring import MASK_LOGPROB, TopK
from tinker_harness.mock_server.sample_codec import PromptOutputs, SampledRow, sample_result_bodies


def test_protobuf_and_json_forms_agree() -> None:
    topk = TopK(np.array([[5, 6], [7, 0]]), np.array([[-0.5, -1.5], [-0.25, MASK_LOGPROB]]))
    prompt_topk = TopK(np.array([[0, 0], [3, 4], [4, 3]]), np.array([[MASK_LOGPROB] * 2, [-0.1, -2.0], [-0.2, -3.0]]))
    values = np.array([[0.0, -1.25], [-0.5, 0.0]])
    crow, col = np.array([0, 1, 2]), np.array([1, 0])
    outputs = PromptOutputs(
        prompt_logprobs=np.array([np.nan, -0.1, -0.2]),
        topk_prompt=prompt_topk,
        target_values=values,
        target_csr=(crow, col),
        alt_tokens=(np.array([[1, 2], [3, 4]]), np.array([[-1.0, -2.0], [-3.0, -4.0]])),
        cache_hit_tokens=2,
    )
    rows = [SampledRow([5, 7], [-0.5, -0.25], "stop", topk), SampledRow([9], [-3.0], "length")]
    json_body, proto_body = sample_result_bodies(rows, outputs)

    decoded = deserialize_sample_response(proto_body)
    assert decoded.prompt_cache_hit_tokens == 2
    assert [s.tokens for s in decoded.sequences] == [[5, 7], [9]]
    assert [s.stop_reason for s in decoded.sequences] == ["stop", "length"]
    assert decoded.sequences[0].topk_logprobs == [[(5, -0.5), (6, -1.5)], [(7, -0.25)]]
    assert decoded.sequences[1].topk_logprobs is None
    assert decoded.prompt_logprobs == [None, np.float32(-0.1), np.float32(-0.2)]
    assert decoded.topk_prompt_logprobs == [
        None,
        [(3, np.float32(-0.1)), (4, -2.0)],
        [(4, np.float32(-0.2)), (3, -3.0)],
    ]
    target = decoded.target_prompt_logprobs
    assert target is not None and target.sparse_crow_indices == [0, 1, 2] and target.sparse_col_indices == [1, 0]
    np.testing.assert_array_equal(target.to_numpy(), values.astype(np.float32))
    assert decoded.prompt_alt_tokens is not None
    np.testing.assert_array_equal(decoded.prompt_alt_tokens.tokens.to_numpy(), [[1, 2], [3, 4]])

    parsed = JsonSampleResponse.from_wire(json_body)
    assert [s.tokens for s in parsed.sequences] == [[5, 7], [9]]
    assert parsed.prompt_logprobs == [None, -0.1, -0.2]
    assert parsed.topk_prompt_logprobs == [None, [(3, -0.1), (4, -2.0)], [(4, -0.2), (3, -3.0)]]
    assert json_body["sequences"][0]["topk_logprobs"] == [[[5, -0.5], [6, -1.5]], [[7, -0.25]]]
    assert json_body["prompt_cache_hit_tokens"] == 2
    assert json_body["target_prompt_logprobs"] == {
        "data": [-1.25, -0.5],
        "dtype": "float32",
        "shape": [2, 2],
        "sparse_crow_indices": [0, 1, 2],
        "sparse_col_indices": [1, 0],
    }
    assert json_body["prompt_alt_tokens"]["tokens"] == {"data": [1, 2, 3, 4], "dtype": "int64", "shape": [2, 2]}
