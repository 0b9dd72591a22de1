"""Forward/backward as the SDK really sends it (protocol §7.1, §8.2, §8.3).

- A call split into chunks (``fwdbwd_max_chunk_len``) arrives out of ``seq_id`` order (chunks 2..N
  first, chunk 1 last); the server runs them in ``seq_id`` order and their gradients add up, so the
  step equals the one-request step of another server, and the outputs keep datum order.
- 2-D torch ``target_tokens``/``weights`` are auto-sparsified to CSR by the SDK and decoded.
- With ``proto_compress_fwdbwd`` the SDK sends ``Content-Encoding: zstd`` bodies, which train.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tinker
import torch
from semantics_support import BASE_MODEL, ce_datum, logprobs_of
from tinker import types

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import encode

pytestmark = pytest.mark.sdk

TEXTS = (
    "The model saved a checkpoint after every step.",
    "Training loss goes down when the learning rate is right.",
    "A session sends a heartbeat every ten seconds.",
    "Sampling uses the saved weights.",
)


def _client(mock: MockTinker) -> Any:
    service = tinker.ServiceClient(base_url=mock.base_url, api_key=mock.api_key)
    return service.create_lora_training_client(base_model=BASE_MODEL, rank=4, seed=9).result()


def _train_step(client: Any, data: list[types.Datum]) -> Any:
    result = client.forward_backward(data, "cross_entropy").result()
    client.optim_step(types.AdamParams(learning_rate=0.05)).result()
    return result


def test_chunks_arrive_out_of_order_and_combine_like_one_request(sdk_mock: Callable[..., MockTinker]) -> None:
    chunked_mock = sdk_mock(ServerConfig(client_config={"pjwt_auth_enabled": False, "fwdbwd_max_chunk_len": 1}))
    whole_mock = sdk_mock(ServerConfig())
    chunked, whole = _client(chunked_mock), _client(whole_mock)
    sequences = [encode(t) for t in TEXTS]
    data = [ce_datum(s, np.linspace(0.5, 1.5, len(s) - 1)) for s in sequences]
    for _ in range(2):
        got, expected = _train_step(chunked, data), _train_step(whole, data)
        assert got.metrics["loss:sum"] == pytest.approx(expected.metrics["loss:sum"], rel=1e-9)
        for a, b in zip(got.loss_fn_outputs, expected.loss_fn_outputs, strict=True):  # datum order kept
            np.testing.assert_allclose(a["logprobs"].to_numpy(), b["logprobs"].to_numpy(), atol=1e-6)
    for a, b in zip(logprobs_of(chunked, sequences), logprobs_of(whole, sequences), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    arrivals = [e.request_body["message"]["seq_id"] for e in chunked_mock.journal.entries(endpoint="forward_backward")]
    first_call = arrivals[: len(TEXTS)]
    assert sorted(first_call) == [1, 2, 3, 4] and first_call != sorted(first_call), arrivals
    assert len(whole_mock.journal.entries(endpoint="forward_backward")) == 3  # 2 steps + 1 probe, unchunked


def test_sparse_2d_targets_and_weights_are_decoded(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock(ServerConfig())
    client = _client(mock)
    seq = encode(TEXTS[1])
    n, k = len(seq) - 1, 6
    targets = np.zeros((n, k), np.int64)
    weights = np.zeros((n, k), np.float32)
    targets[:, 0], weights[:, 0] = seq[1:], 1.0
    targets[::3, 2], weights[::3, 2] = 17, -0.5  # a second, negatively weighted target on some rows
    sparse = types.Datum(
        model_input=types.ModelInput.from_ints(seq[:-1]),
        loss_fn_inputs={"target_tokens": torch.tensor(targets), "weights": torch.tensor(weights)},
    )
    dense = types.Datum(
        model_input=types.ModelInput.from_ints(seq[:-1]), loss_fn_inputs={"target_tokens": targets, "weights": weights}
    )
    assert sparse.loss_fn_inputs["target_tokens"].sparse_crow_indices is not None  # the SDK chose CSR
    got, expected = (
        client.forward([sparse], "cross_entropy").result(),
        client.forward([dense], "cross_entropy").result(),
    )
    assert got.metrics["loss:sum"] == pytest.approx(expected.metrics["loss:sum"], rel=1e-9)
    lp = got.loss_fn_outputs[0]["logprobs"].to_numpy()
    assert lp.shape == (n, k)
    np.testing.assert_array_equal(lp, expected.loss_fn_outputs[0]["logprobs"].to_numpy())
    assert expected.metrics["loss:sum"] == pytest.approx(float(-(weights * lp).sum()), rel=1e-5)
    bodies = [e.request_body["message"] for e in mock.journal.entries(endpoint="forward_backward")]
    encodings = [t.get("encoding") for b in bodies for d in b["data"] for t in d["loss_fn_inputs"].values()]
    assert encodings.count("sparse_csr") == 2


def test_zstd_request_bodies_train(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock(ServerConfig(client_config={"pjwt_auth_enabled": False, "proto_compress_fwdbwd": True}))
    client = _client(mock)
    data = [ce_datum(s, [1.0] * (len(s) - 1)) for s in (encode(t) for t in TEXTS)]
    losses = [_train_step(client, data).metrics["loss:sum"] for _ in range(4)]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses
    entries = mock.journal.entries(endpoint="forward_backward")
    assert entries and all(e.request_headers.get("content-encoding") == "zstd" for e in entries)
    assert all(e.status == 200 and e.violations == [] for e in entries)
