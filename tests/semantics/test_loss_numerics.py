"""Built-in losses through the official SDK, checked against the documented formulas.

For every loss of semantics §1.2 (docs/semantics.md) the server's ``loss:sum`` and per-token outputs must equal
an independent numpy computation on logprobs read back through ``forward`` (and ``compute_logprobs``
must agree with those logprobs), with the ratio spread across the clip bounds so every branch of
every formula is exercised. Gradients are checked in ``test_custom_losses.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import tinker
from semantics_support import BASE_MODEL, DEFAULTS, RL_LOSSES, ce_datum, logprobs_of, reference_token_losses, rl_datum
from tinker import types

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import encode

pytestmark = pytest.mark.sdk

TEXTS = ("The model saved a checkpoint after every step.", "A session sends a heartbeat every ten seconds.")
OVERRIDES: dict[str, dict[str, float]] = {
    "ppo": {"clip_low_threshold": 0.9, "clip_high_threshold": 1.1},
    "cispo": {"clip_low_threshold": 0.5, "clip_high_threshold": 1.5},
    "dro": {"beta": 0.7},
    "gspo": {"clip_low_threshold": 0.95, "clip_high_threshold": 1.05},
    "stable_reinforce": {"clip_high_threshold": 1.1, "kl_coeff": 0.3},
}


def _inputs(lp: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = (lp + rng.normal(0.0, 0.4, lp.shape)).astype(np.float32)  # ratios well outside [0.8, 1.2] too
    adv = rng.normal(0.0, 1.0, lp.shape).astype(np.float32)
    adv[:2] = 0.0  # "prompt" positions, as the cookbook masks them
    mask = (np.arange(len(lp)) >= len(lp) // 2).astype(np.float32)
    return q, adv, mask


def test_every_builtin_loss_matches_the_documented_formula(sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_mock(ServerConfig())
    service = tinker.ServiceClient()
    training = service.create_lora_training_client(base_model=BASE_MODEL, rank=8, seed=3)
    training = training.result()
    sequences = [encode(t) for t in TEXTS]
    training.forward_backward([ce_datum(s, [1.0] * (len(s) - 1)) for s in sequences], "cross_entropy").result()
    training.optim_step(types.AdamParams(learning_rate=0.05)).result()  # non-zero LoRA B: a non-trivial model
    lps = logprobs_of(training, sequences)

    # compute_logprobs (sampling side) sees the same per-token logprobs, and the same sum.
    sampler = training.save_weights_and_get_sampling_client().result()
    for seq, lp in zip(sequences, lps, strict=True):
        prompt_lps = sampler.compute_logprobs(types.ModelInput.from_ints(seq)).result()
        assert prompt_lps[0] is None
        np.testing.assert_allclose(np.asarray(prompt_lps[1:], np.float64), lp, atol=1e-5)
        assert sum(prompt_lps[1:]) == pytest.approx(float(lp.sum()), abs=1e-4)

    rng = np.random.default_rng(11)
    for loss in RL_LOSSES:
        for cfg_override in ({}, OVERRIDES.get(loss, {})):
            cfg = {**DEFAULTS[loss], **cfg_override}
            parts = [_inputs(lp, rng) for lp in lps]
            data = [rl_datum(s, q, a, m, loss) for s, (q, a, m) in zip(sequences, parts, strict=True)]
            out = training.forward(data, loss, cfg_override or None).result()
            expected_total = 0.0
            for lp, (q, a, m), result in zip(lps, parts, out.loss_fn_outputs, strict=True):
                reference = reference_token_losses(loss, lp, q.astype(np.float64), a.astype(np.float64), m, cfg)
                np.testing.assert_allclose(result["logprobs"].to_numpy(), lp, atol=1e-5, err_msg=loss)
                np.testing.assert_allclose(
                    result["elementwise_loss"].to_numpy(), reference, rtol=1e-5, atol=1e-5, err_msg=f"{loss} {cfg}"
                )
                expected_total += float(reference.sum())
            assert set(out.metrics) == {"loss:sum"}
            assert out.metrics["loss:sum"] == pytest.approx(expected_total, rel=1e-5, abs=1e-5), (loss, cfg)
        if loss in ("ppo", "gspo"):  # the clip bounds were actually reached, so clipping was exercised
            ratios = np.exp(np.concatenate([lp - q for lp, (q, _, _) in zip(lps, parts, strict=True)]))
            assert ratios.min() < 0.8 and ratios.max() > 1.2

    # forward never changes the model.
    for before, after in zip(lps, logprobs_of(training, sequences), strict=True):
        np.testing.assert_array_equal(before, after)


def test_bad_loss_inputs_fail_with_category_user_naming_the_key(sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_mock(ServerConfig())
    training = tinker.ServiceClient().create_lora_training_client(base_model=BASE_MODEL, rank=4, seed=1).result()
    seq = encode(TEXTS[0])
    n = len(seq) - 1
    good = {
        "target_tokens": np.asarray(seq[1:], np.int64),
        "logprobs": np.zeros(n, np.float32),
        "advantages": np.ones(n, np.float32),
    }
    cases: list[tuple[str, dict[str, np.ndarray], str, dict[str, float] | None]] = [
        ("ppo", {k: v for k, v in good.items() if k != "advantages"}, "advantages: datum 0: missing", None),
        ("cispo", {**good, "logprobs": np.zeros(n, np.int64)}, "logprobs: datum 0: expected a float dtype", None),
        ("dro", {**good, "advantages": np.ones(n - 1, np.float32)}, "advantages: datum 0: expected shape", None),
        ("importance_sampling", {**good, "target_tokens": good["target_tokens"][:-1]}, "target_tokens: datum 0", None),
        ("gspo", good, "sequence_ratio_mask: datum 0: missing", None),
        (
            "gspo",
            {**good, "sequence_ratio_mask": np.zeros(n, np.float32)},
            "sequence_ratio_mask: datum 0: marks no",
            None,
        ),
        ("ppo", good, "clip thresholds are ratio bounds", {"clip_low_threshold": 1.5, "clip_high_threshold": 1.2}),
        ("dro", good, "loss_fn_config['beta']", {"beta": -1.0}),
        (
            "stable_reinforce",
            {**good, "advantages": np.full(n, np.nan, np.float32)},
            "advantages: datum 0: contains",
            None,
        ),
    ]
    for loss, inputs, message, cfg in cases:
        datum = types.Datum(model_input=types.ModelInput.from_ints(seq[:-1]), loss_fn_inputs=inputs)
        with pytest.raises(tinker.RequestFailedError) as info:
            training.forward_backward([datum], loss, cfg).result()
        assert info.value.category == "user", (loss, message)
        assert message in str(info.value), (loss, str(info.value))
    # A failed request accumulated nothing: a fresh step from here equals one from a clean model.
    before = logprobs_of(training, [seq])[0]
    training.optim_step(types.AdamParams(learning_rate=0.1)).result()
    np.testing.assert_allclose(logprobs_of(training, [seq])[0], before, atol=1e-12)
