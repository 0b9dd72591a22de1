"""Non-text chunks and optimizer variants through the official SDK.

Image, image-asset-pointer and DMel chunks occupy ``chunk.length`` positions (the SDK's count),
read as ``IMAGE_TOKEN_ID`` / ``DMEL_TOKEN_ID`` by the tiny model (mock_server/chunks.py); misuse is
a user error naming the chunk. ``dimuon`` models train with ``DimuonParams``; AdamW takes every
``AdamParams`` field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tinker
from semantics_support import BASE_MODEL, ce_datum, logprobs_of
from tinker import types

from tinker_harness.mock_server.chunks import DMEL_TOKEN_ID
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import IMAGE_TOKEN_ID, encode

pytestmark = pytest.mark.sdk

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
DMEL = bytes([1, 2, 4, 80]) + bytes(4 * 80 * 4)  # TensorContainer: dtype byte, ndim 2, shape (4, 80), payload


def _datum(chunks: list[Any], targets: list[int]) -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput(chunks=chunks),
        loss_fn_inputs={"target_tokens": np.asarray(targets, np.int64), "weights": np.ones(len(targets), np.float32)},
    )


def test_image_and_dmel_chunks_take_their_positions(sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_mock(ServerConfig())
    service = tinker.ServiceClient()
    training = service.create_lora_training_client(base_model=BASE_MODEL, rank=4, seed=8).result()
    text = encode("A picture of a cat")
    image = types.ImageChunk(data=PNG, format="png", expected_tokens=3)
    dmel = types.DmelChunk(dmel=DMEL)
    assert dmel.length == 4  # what the SDK computes for the chunk
    chunks = [types.EncodedTextChunk(tokens=text[:2]), image, dmel, types.EncodedTextChunk(tokens=text[2:-1])]
    as_text = text[:2] + [IMAGE_TOKEN_ID] * 3 + [DMEL_TOKEN_ID] * 4 + text[2:]
    datum = _datum(chunks, as_text[1:])
    assert datum.model_input.length == len(as_text) - 1
    got = training.forward_backward([datum], "cross_entropy").result()
    expected = logprobs_of(training, [as_text])[0]
    np.testing.assert_allclose(got.loss_fn_outputs[0]["logprobs"].to_numpy(), expected, atol=1e-6)
    training.optim_step(types.AdamParams(learning_rate=0.05)).result()

    sampler = training.save_weights_and_get_sampling_client().result()
    pointer = types.ImageAssetPointerChunk(format="png", location="s3://bucket/cat.png", expected_tokens=3)
    for chunk in (image, pointer):  # sampling prompts take inline images and asset pointers alike
        prompt = types.ModelInput(chunks=[types.EncodedTextChunk(tokens=text[:2]), chunk])
        lps = sampler.compute_logprobs(prompt).result()
        np.testing.assert_allclose(lps[1:], logprobs_of(training, [text[:2] + [IMAGE_TOKEN_ID] * 3])[0], atol=1e-5)

    bad = [
        (types.ImageChunk(data=b"GIF89a" + bytes(8), format="png", expected_tokens=2), "signature"),
        (types.DmelChunk(dmel=bytes([9, 1, 3])), "dmel chunk"),
    ]
    for chunk, message in bad:
        with pytest.raises(tinker.RequestFailedError) as info:
            training.forward(
                [_datum([types.EncodedTextChunk(tokens=text[:2]), chunk], [1] * 4)], "cross_entropy"
            ).result()
        assert info.value.category == "user" and "data[0].model_input[1]" in str(info.value)
        assert message in str(info.value)
    with pytest.raises(ValueError):  # the SDK itself refuses asset pointers for training (protocol §7.1);
        # last: the refused submission leaves a seq_id hole that later requests would wait out
        training.forward(
            [_datum([types.EncodedTextChunk(tokens=text[:2]), pointer], [1, 1, 1, 1])], "cross_entropy"
        ).result()


def test_dimuon_and_adamw_variants(sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_mock(ServerConfig())
    service = tinker.ServiceClient()
    seqs = [encode("Training loss goes down when the learning rate is right.")]
    data = [ce_datum(s, [1.0] * (len(s) - 1)) for s in seqs]
    dimuon = service.create_lora_training_client(
        base_model=BASE_MODEL, rank=4, seed=4, optimizer=types.DimuonOptimizerConfig()
    ).result()
    assert dimuon.get_info().optimizer_config.type == "dimuon"
    losses = []
    for step in range(4):
        losses.append(dimuon.forward_backward(data, "cross_entropy").result().metrics["loss:sum"])
        clip = 1.0 if step == 0 else -1.0  # "nonpositive values disable gradient clipping"
        metrics = dimuon.optim_step(types.DimuonParams(learning_rate=0.05, grad_clip_norm=clip, beta1=0.8)).result()
        assert ("grad_norm" in (metrics.metrics or {})) == (step == 0)
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses
    with pytest.raises(tinker.RequestFailedError) as info:
        dimuon.optim_step(types.AdamParams(learning_rate=0.01)).result()
    assert info.value.category == "user"

    plain, decayed = (
        service.create_lora_training_client(base_model=BASE_MODEL, rank=4, seed=4).result() for _ in range(2)
    )
    assert plain.get_info().optimizer_config.type == "adamw"
    for client, weight_decay in ((plain, 0.0), (decayed, 5.0)):
        for _ in range(2):
            client.forward_backward(data, "cross_entropy").result()
            hp = types.AdamParams(
                learning_rate=0.05, beta1=0.5, beta2=0.9, eps=1e-8, weight_decay=weight_decay, grad_clip_norm=0.5
            )
            assert "grad_norm" in (client.optim_step(hp).result().metrics or {})
    moved_plain = logprobs_of(plain, seqs)[0]
    moved_decayed = logprobs_of(decayed, seqs)[0]
    assert np.abs(moved_plain - moved_decayed).max() > 1e-3  # weight decay was applied
    dimuon_lp = logprobs_of(dimuon, seqs)[0]
    assert np.abs(dimuon_lp - moved_plain).max() > 1e-3  # a different update rule
