"""The server-side custom-loss interpreter against torch autograd (protocol §5.1, §8.5).

Losses are traced and encoded by the official SDK's own helpers (``trace_loss``/``encode_graph``),
then run by ``mock_server.model.custom``; value, metrics and d loss / d logprobs must equal torch's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from tinker.lib.public_interfaces.custom_loss import encode_graph, trace_loss

from tinker_harness.mock_server.model import DatumArrays, LoraConfig, TrainableModel, UserInputError
from tinker_harness.mock_server.model.custom import CustomLoss, compile_custom_loss, evaluate


def _compile(fn: Callable[..., Any], ranks: dict[str, int]) -> Any:
    handle = trace_loss(fn, ranks, "session")
    nodes = [n.model_dump(mode="json") for n in encode_graph(handle).nodes]
    return compile_custom_loss(handle.name, [(i.name, i.rank) for i in handle.inputs], nodes)


def arithmetic(logprobs: Any, w: Any) -> Any:
    a = (logprobs * w).sum() - logprobs.mean() / 3 + (2 - logprobs).pow(2).sum() + abs(logprobs).max()
    b = torch.sqrt(torch.exp(logprobs)).sum() + torch.log1p(torch.sigmoid(logprobs)).sum() + logprobs.square().sum()
    c = torch.tanh(logprobs).sum() + F.relu(logprobs + 1).sum() + torch.clamp(logprobs, -1.0, -0.3).sum()
    d = torch.minimum(logprobs, w).sum() + torch.maximum(logprobs, torch.zeros_like(logprobs)).sum()
    return a + b + c + d, {"custom/a:sum": a, "custom/b:mean": b}


def normalising(logprobs: Any, w: Any) -> Any:
    a = torch.log_softmax(logprobs, dim=-1)[2] + F.softmax(logprobs * 2, dim=0)[0] + torch.logsumexp(logprobs, dim=0)
    b = F.logsigmoid(logprobs).sum() + F.softplus(logprobs).mean() + torch.amax(logprobs, dim=0) - logprobs.min()
    c = torch.where(w > 0, logprobs, logprobs * 0.5).sum() + logprobs.masked_fill(w < -0.5, 0.0).sum()
    return a + b + c, {}


def shapes(logprobs: Any, w: Any) -> Any:
    grid = logprobs.unsqueeze(0) * w.view(-1, 1)
    a = grid.sum(dim=1).mean() + grid.transpose(0, 1)[1:, :2].sum() + logprobs.reshape(2, -1).sum(dim=1)[0]
    b = torch.stack([logprobs.sum(), (logprobs * w).sum()]).softmax(dim=0)[1] + torch.cat([logprobs, w]).amax()
    c = logprobs[1:-1].sum() + logprobs.detach().sum() * 0.5 + (logprobs > -1).double().mean() * logprobs.sum()
    d = logprobs.size(0) * logprobs.flatten()[-1] + logprobs.clone().sum() / logprobs.numel()
    return a + b + c + d, {"custom/n:sum": (w * 0 + 1).sum()}


def multi_target(logprobs: Any, weights: Any) -> Any:
    per_row = torch.logsumexp(logprobs, dim=-1)
    return -(per_row * weights[:, 0]).sum() + (logprobs**2).sum(dim=(0, 1)) * 0.1, {}


@pytest.mark.parametrize("fn", [arithmetic, normalising, shapes])
def test_value_metrics_and_gradient_match_torch(fn: Callable[..., Any]) -> None:
    rng = np.random.default_rng(1)
    compiled = _compile(fn, {"logprobs": 1, "w": 1})
    for _ in range(3):
        lp, w = -rng.uniform(0.05, 3.0, 6), rng.normal(0.0, 1.0, 6)
        t_lp = torch.tensor(lp, requires_grad=True)
        loss, metrics = fn(t_lp, torch.tensor(w))
        loss.backward()
        assert t_lp.grad is not None
        result = evaluate(compiled, {"logprobs": lp, "w": w})
        assert result.loss == pytest.approx(float(loss.detach()), rel=1e-12, abs=1e-12)
        assert result.metrics == pytest.approx({k: float(v.detach()) for k, v in metrics.items()}, rel=1e-12)
        np.testing.assert_allclose(result.grad_logprobs, t_lp.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_rank_two_logprobs_and_rank_zero_inputs() -> None:
    def with_scalar(logprobs: Any, scale: Any) -> Any:
        return -(logprobs.sum(dim=-1) * scale).sum(), {}

    compiled = _compile(multi_target, {"logprobs": 2, "weights": 2})
    lp, w = -np.random.default_rng(2).uniform(0.1, 2.0, (4, 3)), np.ones((4, 3))
    t_lp = torch.tensor(lp, requires_grad=True)
    loss, _ = multi_target(t_lp, torch.tensor(w))
    loss.backward()
    assert t_lp.grad is not None
    np.testing.assert_allclose(evaluate(compiled, {"logprobs": lp, "weights": w}).grad_logprobs, t_lp.grad.numpy())
    loss_obj = CustomLoss(_compile(with_scalar, {"logprobs": 1, "scale": 0}))
    run = TrainableModel.create("custom-base", 12, LoraConfig(rank=2, seed=0))
    datum = DatumArrays(
        np.array([1, 2, 3]), {"target_tokens": np.array([2, 3, 4]), "scale": np.array([2.0], np.float32)}
    )
    result = run.forward_backward([datum, datum], loss_obj)
    lp3 = run.model.forward(np.array([1, 2, 3]), np.array([2, 3, 4])).logprobs
    assert result.metrics == {"loss:sum": pytest.approx(-4.0 * float(lp3.sum()))}
    with pytest.raises(UserInputError, match="^scale: datum 0: the custom loss declares it a scalar"):
        run.forward_backward([DatumArrays(datum.tokens, {**datum.loss_fn_inputs, "scale": np.ones(3)})], loss_obj)


def test_custom_metrics_sum_and_mean_over_datums() -> None:
    def counted(logprobs: Any, w: Any) -> Any:
        return -(logprobs * w).sum(), {"custom/w:sum": w.sum(), "custom/first:mean": w[0]}

    loss = CustomLoss(_compile(counted, {"logprobs": 1, "w": 1}))
    run = TrainableModel.create("custom-base", 12, LoraConfig(rank=2, seed=0))
    tokens, targets = np.array([1, 2, 3]), np.array([2, 3, 4])
    data = [DatumArrays(tokens, {"target_tokens": targets, "w": np.full(3, v, np.float32)}) for v in (1.0, 3.0)]
    metrics = run.forward_backward(data, loss).metrics
    assert metrics["custom/w:sum"] == pytest.approx(12.0) and metrics["custom/first:mean"] == pytest.approx(2.0)
    ce = run.forward_backward(
        [DatumArrays(tokens, {"target_tokens": targets, "weights": np.full(3, 4.0)})], "cross_entropy"
    )
    assert metrics["loss:sum"] == pytest.approx(ce.metrics["loss:sum"])


NODE = {"op": "placeholder", "name": "logprobs", "target": "logprobs", "args": [], "kwargs": {}}


def _out(ref: str, metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "op": "output",
        "name": "output",
        "target": "output",
        "args": [{"tuple": [{"ref": ref}, {"dict": metrics or {}}]}],
    }


@pytest.mark.parametrize(
    ("nodes", "fragment"),
    [
        (
            [
                NODE,
                {"op": "call_function", "name": "e", "target": "torch.erf", "args": [{"ref": "logprobs"}]},
                _out("e"),
            ],
            "node 'e' calls function 'torch.erf', which this mock's interpreter does not support",
        ),
        (
            [NODE, {"op": "call_method", "name": "s", "target": "cumsum", "args": [{"ref": "logprobs"}, 0]}, _out("s")],
            "node 's' calls method 'cumsum'",
        ),
        ([NODE, {"op": "get_attr", "name": "c", "target": "_tensor_constant0"}, _out("c")], "has op 'get_attr'"),
        (
            [NODE, {"op": "call_method", "name": "s", "target": "sum", "args": [{"ref": "nope"}]}, _out("s")],
            "refers to 'nope', which is not an earlier node",
        ),
        (
            [
                NODE,
                {
                    "op": "call_method",
                    "name": "s",
                    "target": "sum",
                    "args": [{"ref": "logprobs"}],
                    "kwargs": {"bogus": 1},
                },
                _out("s"),
            ],
            "with arguments it does not take",
        ),
        ([NODE, _out("logprobs", {"loss": {"ref": "logprobs"}})], "metric 'loss' must be named custom/<name>:sum"),
        ([_out("logprobs")], "must start with one placeholder per input"),
        (
            [NODE, {"op": "call_method", "name": "s", "target": "sum", "args": [{"set": [1]}]}, _out("s")],
            "an argument this format does not know",
        ),
    ],
)
def test_compile_refusals_name_the_node(nodes: list[dict[str, Any]], fragment: str) -> None:
    with pytest.raises(UserInputError) as info:
        compile_custom_loss("my_loss", [("logprobs", 1)], nodes)
    assert info.value.key == "graph"
    assert str(info.value).startswith("graph: custom loss 'my_loss': ")
    assert fragment in str(info.value)


def test_runtime_failures_are_user_errors() -> None:
    def not_scalar(logprobs: Any) -> Any:
        return logprobs * 2, {}

    def mismatch(logprobs: Any, w: Any) -> Any:
        return (logprobs * w).sum(), {}

    def blows_up(logprobs: Any) -> Any:
        return torch.log(logprobs).sum(), {}

    with pytest.raises(UserInputError, match="the loss must be a scalar tensor"):
        evaluate(_compile(not_scalar, {"logprobs": 1}), {"logprobs": -np.ones(3)})
    with pytest.raises(UserInputError, match=r"node 'mul' \(operator.mul\) failed: operands could not be broadcast"):
        evaluate(_compile(mismatch, {"logprobs": 1, "w": 1}), {"logprobs": -np.ones(3), "w": np.ones(4)})
    with pytest.raises(UserInputError, match="non-finite"):
        evaluate(_compile(blows_up, {"logprobs": 1}), {"logprobs": -np.ones(3)})
