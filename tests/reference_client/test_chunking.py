"""Forward/backward chunking (§8.3), chunk submission order (§8.2) and result combining (§6.6)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from refclient_support import BASE_MODEL, dataset, datum, violations

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import encode
from tinker_harness.reference_client import ForwardBackwardResult, ProtocolError, ReferenceClient
from tinker_harness.reference_client._chunks import combine_results, estimate_datum_bytes, split_into_chunks

FIVE = (
    "The model saved a checkpoint after every step.",
    "Training loss goes down when the learning rate is right.",
    "A session sends a heartbeat every ten seconds.",
    "Samplers answer with tokens and logprobs.",
    "Chunks of one call share consecutive ids.",
)


def run_once(mock: MockTinker) -> tuple[ForwardBackwardResult, str]:
    with ReferenceClient(mock.base_url, mock.api_key) as client:
        training = client.create_lora_training_client(BASE_MODEL, rank=8, seed=3)
        return training.forward_backward(dataset(FIVE), "cross_entropy").result(), training.model_id


def test_five_datums_in_chunks_of_two_are_three_requests_first_chunk_last(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    chunked = tinker_mock_factory(ServerConfig(client_config={"pjwt_auth_enabled": False, "fwdbwd_max_chunk_len": 2}))
    plain = tinker_mock_factory(ServerConfig())
    chunked_result, _ = run_once(chunked)
    plain_result, _ = run_once(plain)

    posts = sorted(chunked.journal.entries(endpoint="forward_backward"), key=lambda e: e.timestamp)
    messages = [e.request_body["message"] for e in posts]
    assert len(messages) == 3
    assert messages[-1]["seq_id"] == 1, "chunk 1 is sent last, after chunks 2..N were accepted"
    assert sorted(m["seq_id"] for m in messages) == [1, 2, 3]
    assert {m["seq_id"]: len(m["data"]) for m in messages} == {1: 2, 2: 2, 3: 1}
    first_tokens = {m["seq_id"]: m["data"][0]["model_input"][0]["tokens"] for m in messages}
    assert [first_tokens[s] for s in (1, 2, 3)] == [encode(FIVE[i])[:-1] for i in (0, 2, 4)]
    assert len(plain.journal.entries(endpoint="forward_backward")) == 1
    assert violations(chunked.journal.entries()) == [] and violations(plain.journal.entries()) == []

    assert len(chunked_result.loss_fn_outputs) == len(plain_result.loss_fn_outputs) == 5
    for ours, theirs in zip(chunked_result.loss_fn_outputs, plain_result.loss_fn_outputs, strict=True):
        np.testing.assert_allclose(ours["logprobs"], theirs["logprobs"], rtol=1e-6)
    assert chunked_result.metrics["loss:sum"] == pytest.approx(plain_result.metrics["loss:sum"], rel=1e-9)


def test_chunks_break_on_the_byte_estimate_as_well_as_the_length() -> None:
    data = [datum(FIVE[0])] * 5
    size = estimate_datum_bytes(data[0])
    tokens = len(encode(FIVE[0])) - 1
    assert size == 4 * tokens + 8 * tokens + 4 * tokens  # int32 tokens, int64 targets, float32 weights
    assert [len(c) for c in split_into_chunks(data, 1024, 5_000_000)] == [5]
    assert [len(c) for c in split_into_chunks(data, 2, 5_000_000)] == [2, 2, 1]
    assert [len(c) for c in split_into_chunks(data, 1024, 2 * size)] == [2, 2, 1]
    assert [len(c) for c in split_into_chunks(data, 1024, 2 * size - 1)] == [1, 1, 1, 1, 1]
    assert [len(c) for c in split_into_chunks(data, 1024, 1)] == [1, 1, 1, 1, 1], "an oversized datum goes alone"


def result(n: int, metrics: dict[str, float]) -> ForwardBackwardResult:
    return ForwardBackwardResult("ArrayRecord", [{"logprobs": np.zeros(1)} for _ in range(n)], metrics)


def test_metric_reductions_follow_the_sdk() -> None:
    combined = combine_results(
        [
            result(1, {"loss:sum": 1.0, "m:mean": 1.0, "lo:min": 3.0, "hi:max": 3.0, "s:slack": 1.0, "u:unique": 7.0,
                       "h:hash2": 5.0, "x:new_reduction": 1.0, "only_first:sum": 1.0}),
            result(3, {"loss:sum": 2.0, "m:mean": 3.0, "lo:min": 1.0, "hi:max": 5.0, "s:slack": 3.0, "u:unique": 8.0,
                       "h:hash2": 6.0, "x:new_reduction": 1.0}),
        ]
    )  # fmt: skip
    assert combined.metrics == {
        "loss:sum": 3.0,
        "m:mean": 2.5,  # weighted by the datums of each chunk: (1*1 + 3*3) / 4
        "lo:min": 1.0,
        "hi:max": 5.0,
        "s:slack": 3.0 - 2.5,
        "u:unique": 7.0,
        "u:unique_1": 8.0,
        "h:hash2": 11,
    }
    assert len(combined.loss_fn_outputs) == 4


def test_a_metric_key_without_exactly_one_colon_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="name:reduction"):
        combine_results([result(1, {"loss": 1.0})])
    assert combine_results([]) == ForwardBackwardResult("", [], {})


def test_serial_chunks_go_in_order_and_zstd_bodies_when_the_server_asks(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    flags = {"pjwt_auth_enabled": False, "fwdbwd_max_chunk_len": 2, "parallel_fwdbwd_chunks": False,
             "proto_compress_fwdbwd": True}  # fmt: skip
    mock = tinker_mock_factory(ServerConfig(client_config=flags))
    result, _ = run_once(mock)
    assert len(result.loss_fn_outputs) == 5
    posts = sorted(mock.journal.entries(endpoint="forward_backward"), key=lambda e: e.timestamp)
    assert [e.request_body["message"]["seq_id"] for e in posts] == [1, 2, 3]
    assert {e.request_headers["content-encoding"] for e in posts} == {"zstd"}
    assert violations(mock.journal.entries()) == []
