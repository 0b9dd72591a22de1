"""Helpers for the numpy model tests: small models with non-trivial (random) LoRA B factors.

A plain module (unique name, no ``conftest``) so test files can import it by name under pytest's
default ``prepend`` import mode without clashing with other test folders.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinker_harness.mock_server.model import BaseWeights, LoraConfig, LoraModel

ALL_GROUPS = ("mlp", "attn", "unembed")


def make_model(
    vocab: int = 11,
    rank: int = 3,
    groups: Sequence[str] = ALL_GROUPS,
    seed: int = 0,
    b_scale: float = 0.3,
    name: str = "tiny-base",
) -> LoraModel:
    """A ``LoraModel`` with A from ``seed`` and B ~ N(0, b_scale²) (so every gradient is non-zero)."""
    config = LoraConfig(
        rank=rank,
        seed=seed,
        train_mlp="mlp" in groups,
        train_attn="attn" in groups,
        train_unembed="unembed" in groups,
    )
    model = LoraModel.create(BaseWeights.for_model(name, vocab), config)
    rng = np.random.default_rng(seed + 1000)
    for key, value in model.params.items():
        if key.endswith(".B"):
            value[...] = rng.normal(0.0, b_scale, size=value.shape)
    return model
