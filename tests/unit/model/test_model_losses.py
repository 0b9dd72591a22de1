"""Loss registry and ``loss_fn_inputs`` validation messages (semantics §1.1, §1.2, §2)."""

from __future__ import annotations

import numpy as np
import pytest

from tinker_harness.mock_server.model import (
    LOSSES,
    DatumArrays,
    LoraConfig,
    LossResult,
    TrainableModel,
    UserInputError,
    get_loss,
)
from tinker_harness.mock_server.model.losses import register_loss

N = 4


def _fb(inputs: dict[str, np.ndarray], tokens: np.ndarray | None = None) -> None:
    run = TrainableModel.create("loss-base", 16, LoraConfig(rank=2, seed=0))
    datum = DatumArrays(tokens=np.arange(N) if tokens is None else tokens, loss_fn_inputs=inputs)
    run.forward_backward([datum], "cross_entropy")


TARGETS = np.array([1, 2, 3, 4])
WEIGHTS = np.ones(N, dtype=np.float32)
PAIRS = np.ones((N, 2), np.int64)


@pytest.mark.parametrize(
    ("inputs", "key", "fragment"),
    [
        ({"weights": WEIGHTS}, "target_tokens", "missing"),
        ({"target_tokens": TARGETS}, "weights", "missing"),
        ({"target_tokens": TARGETS.astype(np.float32), "weights": WEIGHTS}, "target_tokens", "integer dtype"),
        ({"target_tokens": TARGETS, "weights": np.ones(N, dtype=np.int64)}, "weights", "float dtype"),
        ({"target_tokens": TARGETS[:3], "weights": WEIGHTS[:3]}, "target_tokens", "shape (4,) or (4, K)"),
        ({"target_tokens": TARGETS, "weights": WEIGHTS[:3]}, "weights", "expected shape (4,)"),
        ({"target_tokens": PAIRS, "weights": WEIGHTS}, "weights", "expected shape (4, 2)"),
        ({"target_tokens": PAIRS[:, :, None], "weights": WEIGHTS}, "target_tokens", "got (4, 2, 1)"),
        ({"target_tokens": -TARGETS, "weights": WEIGHTS}, "target_tokens", "non-negative"),
    ],
)
def test_invalid_inputs_name_the_key(inputs: dict[str, np.ndarray], key: str, fragment: str) -> None:
    with pytest.raises(UserInputError) as info:
        _fb(inputs)
    assert info.value.key == key
    message = str(info.value)
    assert message.startswith(f"{key}: datum 0: ")
    assert fragment in message


def test_model_input_must_be_integer() -> None:
    with pytest.raises(UserInputError, match="^model_input: datum 0: expected an integer dtype"):
        _fb({"target_tokens": TARGETS, "weights": WEIGHTS}, tokens=np.arange(N, dtype=np.float32))


def test_unknown_loss_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="^loss_fn: unknown loss 'nope'"):
        get_loss("nope")


def test_cross_entropy_values_and_gradient() -> None:
    lp = np.array([[-1.0, -2.0], [-0.5, -3.0]])
    w = np.array([[1.0, -2.0], [0.0, 0.5]])
    result = LOSSES["cross_entropy"](lp, {"target_tokens": np.zeros((2, 2), np.int64), "weights": w}, {})
    np.testing.assert_array_equal(result.loss, -w * lp)
    np.testing.assert_array_equal(result.grad, -w)
    assert result.outputs["logprobs"].dtype == np.float32
    np.testing.assert_array_equal(result.outputs["elementwise_loss"], (-w * lp).astype(np.float32))


def test_registering_a_loss_with_config_defaults() -> None:
    def scaled(lp: np.ndarray, inputs: object, config: object) -> LossResult:
        assert isinstance(config, dict)
        return LossResult(loss=-config["beta"] * lp, grad=np.full_like(lp, -config["beta"]))

    register_loss("test_scaled", float_keys=("advantages",), config_defaults={"beta": 0.5})(scaled)
    try:
        spec = get_loss("test_scaled")
        assert spec.resolve_config(None) == {"beta": 0.5}
        assert spec.resolve_config({"beta": 2, "other": "ignored"}) == {"beta": 2.0}
        with pytest.raises(UserInputError, match=r"^loss_fn_config\['beta'\]: expected a number"):
            spec.resolve_config({"beta": "x"})
        with pytest.raises(UserInputError, match="^advantages: missing"):
            spec.validate({"target_tokens": TARGETS}, N)
        with pytest.raises(UserInputError, match=r"^target_tokens: expected shape \(4,\) \("):
            spec.validate({"target_tokens": np.ones((N, 2), np.int64), "advantages": np.ones((N, 2))}, N)
    finally:
        del LOSSES["test_scaled"]
