"""Helpers for tests that drive the official tinker SDK against the mock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinker import types

from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.tokenizer import encode

BASE_MODEL = "Qwen/Qwen3-8B"
SENTENCES = (
    "The model saved a checkpoint after every step.",
    "Training loss goes down when the learning rate is right.",
    "A session sends a heartbeat every ten seconds.",
)


def datum(text: str) -> types.Datum:
    """A next-token-prediction datum: inputs are the tokens but the last, targets the tokens but the first."""
    ids = encode(text)
    return types.Datum(
        model_input=types.ModelInput.from_ints(ids[:-1]),
        loss_fn_inputs={"target_tokens": ids[1:], "weights": [1.0] * (len(ids) - 1)},
    )


def dataset(texts: Sequence[str] = SENTENCES) -> list[types.Datum]:
    return [datum(t) for t in texts]


def violations(entries: Sequence[JournalEntry]) -> list[str]:
    """Every contract violation in ``entries``, each prefixed with the exchange it came from."""
    return [f"{e.describe()}: {v}" for e in entries for v in e.violations]


def endpoint_sequence(entries: Sequence[JournalEntry]) -> list[str]:
    return [e.endpoint or e.path for e in entries]


def first_index(names: Sequence[str], name: str) -> int:
    return list(names).index(name)


def as_floats(values: Any) -> list[float]:
    return [float(v) for v in values]
