"""Custom losses through the official SDK (protocol §8.5, semantics §1.3).

Client-side ``forward_backward_custom`` sends ``weights = −dLoss/dlogprobs`` to cross_entropy, so a
torch transcription of each built-in loss must move the model exactly as the built-in does: that
compares the server's gradients with torch autograd. Server-side custom losses (``create_custom_loss``
with ``custom_loss_server_side``) run the uploaded torch.fx graph in the mock's numpy interpreter and
must match both the client-side run of the same loss and the built-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tinker
import torch
from semantics_support import (
    BASE_MODEL,
    DEFAULTS,
    RL_LOSSES,
    ce_datum,
    linear_adam,
    logprobs_of,
    rl_datum,
    torch_loss,
)
from tinker import types

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import encode

pytestmark = pytest.mark.sdk

TEXTS = ("Training loss goes down when the learning rate is right.", "The model saved a checkpoint.")


def _pair(service: tinker.ServiceClient, sequences: list[list[int]]) -> tuple[Any, Any]:
    """Two identical training clients (same LoRA seed, same warm-up step), so B != 0 and every factor moves."""
    clients = [service.create_lora_training_client(base_model=BASE_MODEL, rank=4, seed=5).result() for _ in range(2)]
    for client in clients:
        client.forward_backward([ce_datum(s, [1.0] * (len(s) - 1)) for s in sequences], "cross_entropy").result()
        client.optim_step(types.AdamParams(learning_rate=0.05)).result()
    return clients[0], clients[1]


def _step_changes(client: Any, sequences: list[list[int]], before: list[np.ndarray]) -> np.ndarray:
    client.optim_step(linear_adam(0.5)).result()
    return np.concatenate([a - b for a, b in zip(logprobs_of(client, sequences), before, strict=True)])


def _rl_data(loss: str, sequences: list[list[int]], lps: list[np.ndarray]) -> list[types.Datum]:
    rng = np.random.default_rng(7)
    data = []
    for seq, lp in zip(sequences, lps, strict=True):
        q = lp + rng.normal(0.0, 0.4, lp.shape)
        adv = rng.normal(0.0, 1.0, lp.shape)
        data.append(rl_datum(seq, q, adv, (np.arange(len(lp)) % 2).astype(np.float32), loss))
    return data


def test_client_side_custom_losses_step_like_the_builtins(sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_mock(ServerConfig())
    service = tinker.ServiceClient()
    sequences = [encode(t) for t in TEXTS]
    for loss in ("cross_entropy", *RL_LOSSES):
        builtin, custom = _pair(service, sequences)
        before = logprobs_of(builtin, sequences)
        if loss == "cross_entropy":
            data = [ce_datum(s, np.linspace(-0.5, 1.5, len(s) - 1)) for s in sequences]  # negative weights too

            def user_ce(data: list[types.Datum], lps: list[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
                ws = [torch.tensor(d.loss_fn_inputs["weights"].to_numpy()) for d in data]
                total = sum((-(lp * w).sum() for lp, w in zip(lps, ws, strict=True)), torch.zeros(()))
                return total, {"custom_metric:sum": 1.0}

            fn: Callable[..., Any] = user_ce
        else:
            data = _rl_data(loss, sequences, before)
            fn = torch_loss(loss, DEFAULTS[loss])
        reference = builtin.forward_backward(data, loss).result()
        result = custom.forward_backward_custom(data, fn).result()
        assert result.metrics["loss:sum"] == pytest.approx(reference.metrics["loss:sum"], rel=1e-4, abs=1e-4), loss
        assert "surrogate_loss:sum" in result.metrics
        moved = _step_changes(builtin, sequences, before)
        assert np.abs(moved).max() > 1e-2, loss  # the step is large enough to tell gradients apart
        np.testing.assert_allclose(_step_changes(custom, sequences, before), moved, rtol=1e-3, atol=2e-5, err_msg=loss)


def ppo_per_datum(logprobs: Any, logprobs_q: Any, advantages: Any) -> Any:
    ratio = torch.exp(logprobs - logprobs_q)
    objective = torch.minimum(ratio * advantages, torch.clamp(ratio, 0.8, 1.2) * advantages)
    loss = -objective.sum()
    clipped = ((ratio < 0.8) | (ratio > 1.2)).float().mean()
    return loss, {"custom/clip_fraction:mean": clipped, "custom/tokens:sum": logprobs.sum() * 0 + logprobs.size(0)}


def dpo_like(logprobs: Any, weights: Any, margin: Any) -> Any:
    score = (logprobs * weights).sum() - margin.sum()
    loss = -torch.nn.functional.logsigmoid(score) + 0.1 * torch.logsumexp(logprobs, dim=0)
    return loss, {"custom/score:mean": score}


def _ppo_data(sequences: list[list[int]], lps: list[np.ndarray]) -> list[types.Datum]:
    rng = np.random.default_rng(3)
    data = []
    for seq, lp in zip(sequences, lps, strict=True):
        inputs = {
            "target_tokens": np.asarray(seq[1:], np.int64),
            "logprobs_q": (lp + rng.normal(0.0, 0.4, lp.shape)).astype(np.float32),
            "advantages": rng.normal(0.0, 1.0, lp.shape).astype(np.float32),
        }
        data.append(types.Datum(model_input=types.ModelInput.from_ints(seq[:-1]), loss_fn_inputs=inputs))
    return data


def test_server_side_custom_loss_runs_the_uploaded_graph(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock(ServerConfig(client_config={"pjwt_auth_enabled": False, "custom_loss_server_side": True}))
    service = tinker.ServiceClient()
    sequences = [encode(t) for t in TEXTS]
    handle = service.create_custom_loss(ppo_per_datum, {"logprobs": 1, "logprobs_q": 1, "advantages": 1}).result()
    assert handle.loss_id is not None
    server_side, builtin = _pair(service, sequences)
    before = logprobs_of(builtin, sequences)
    data = _ppo_data(sequences, before)
    builtin_data = [
        types.Datum(
            model_input=d.model_input, loss_fn_inputs={**d.loss_fn_inputs, "logprobs": d.loss_fn_inputs["logprobs_q"]}
        )
        for d in data
    ]
    reference = builtin.forward_backward(builtin_data, "ppo").result()
    result = server_side.forward_backward_custom(data, handle).result()
    assert result.metrics["loss:sum"] == pytest.approx(reference.metrics["loss:sum"], rel=1e-6)
    ratios = [np.exp(b - d.loss_fn_inputs["logprobs_q"].to_numpy()) for b, d in zip(before, data, strict=True)]
    fractions = [float(np.mean((r < 0.8) | (r > 1.2))) for r in ratios]
    assert result.metrics["custom/clip_fraction:mean"] == pytest.approx(np.mean(fractions), abs=1e-6)
    assert result.metrics["custom/tokens:sum"] == sum(len(s) - 1 for s in sequences)
    np.testing.assert_allclose(result.loss_fn_outputs[0]["logprobs"].to_numpy(), before[0], atol=1e-6)
    moved = _step_changes(builtin, sequences, before)
    np.testing.assert_allclose(_step_changes(server_side, sequences, before), moved, rtol=1e-6, atol=1e-8)
    sent = [e.request_body["message"] for e in mock.journal.entries(endpoint="forward_backward")]
    custom_calls = [body for body in sent if body["loss_fn"] == "custom"]
    assert [body["loss_fn_config"] for body in custom_calls] == [{"loss_id": handle.loss_id}]

    # A second loss (logsigmoid, logsumexp, rank-0 input) against the same graph run client-side by torch.
    dpo = service.create_custom_loss(dpo_like, {"logprobs": 1, "weights": 1, "margin": 0}).result()
    pair = [
        types.Datum(
            model_input=types.ModelInput.from_ints(s[:-1]),
            loss_fn_inputs={
                "target_tokens": np.asarray(s[1:], np.int64),
                "weights": np.linspace(1.0, -1.0, len(s) - 1).astype(np.float32),
                "margin": np.asarray(0.3, np.float32),
            },
        )
        for s in sequences
    ]
    got = server_side.forward_backward_custom(pair, dpo).result()
    lps = [torch.tensor(lp) for lp in logprobs_of(server_side, sequences)]
    expected = [
        dpo_like(lp, torch.tensor(d.loss_fn_inputs["weights"].to_numpy(), dtype=torch.float64), torch.tensor(0.3))
        for lp, d in zip(lps, pair, strict=True)
    ]
    assert got.metrics["loss:sum"] == pytest.approx(float(sum(e[0] for e in expected)), rel=1e-5)
    assert got.metrics["custom/score:mean"] == pytest.approx(
        float(np.mean([float(e[1]["custom/score:mean"]) for e in expected])), rel=1e-5
    )


def erf_loss(logprobs: Any) -> Any:
    loss = torch.erf(logprobs).sum()
    return loss, {}


def test_unsupported_ops_are_refused_with_a_user_error(sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_mock(ServerConfig(client_config={"pjwt_auth_enabled": False, "custom_loss_server_side": True}))
    service = tinker.ServiceClient()
    with pytest.raises(tinker.RequestFailedError) as info:
        service.create_custom_loss(erf_loss, {"logprobs": 1}).result()
    assert info.value.category == "user"
    assert "node 'erf' calls function 'torch.erf'" in str(info.value)
