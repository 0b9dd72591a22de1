"""Named datasets and prompts of the scenario vocabulary, in the SDK-neutral wire form adapters receive.

A scenario says ``data: three`` or ``prompt: short``; the runner replaces the name with concrete token
ids before the step reaches an adapter, so adapters need no dataset registry of their own. A datum
is ``{"tokens": [...], "loss_fn_inputs": {name: {"data": [...], "dtype": "int64" | "float32"}}}``:
next-token prediction (inputs are the tokens but the last, ``target_tokens`` the tokens but the
first), with the dtypes the SDK gives those keys (protocol reference §7.1). Token ids come from the
mock server's 512-token tokenizer, so every id is valid for every base model it serves.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from tinker_harness.mock_server.tokenizer import encode

__all__ = ["DATASETS", "PROMPTS", "dataset", "prompt"]

_SENTENCES: Final = (
    "The model saved a checkpoint after every step.",
    "Training loss goes down when the learning rate is right.",
    "A session sends a heartbeat every ten seconds.",
    "Futures are polled until the result is ready.",
    "Samplers draw tokens from the trained weights.",
)

# name -> (sentences, loss-input flavour)
DATASETS: Final[dict[str, tuple[tuple[str, ...], str]]] = {
    "tiny": (_SENTENCES[:1], "supervised"),
    "three": (_SENTENCES[:3], "supervised"),
    "five": (_SENTENCES, "supervised"),
    "empty": ((), "supervised"),
    "rl": (_SENTENCES[:2], "rl"),
}

PROMPTS: Final[dict[str, str]] = {
    "short": "The model",
    "sentence": "The model saved a checkpoint.",
}


def _tensor(data: list[int] | list[float], dtype: str) -> dict[str, Any]:
    return {"data": data, "dtype": dtype}


def _datum(text: str, flavour: str) -> dict[str, Any]:
    ids = encode(text)
    targets = ids[1:]
    inputs: dict[str, Any] = {"target_tokens": _tensor(targets, "int64")}
    if flavour == "rl":
        inputs["logprobs"] = _tensor([-2.5] * len(targets), "float32")
        inputs["advantages"] = _tensor([0.5 if i % 2 == 0 else -0.25 for i in range(len(targets))], "float32")
    else:
        inputs["weights"] = _tensor([1.0] * len(targets), "float32")
    return {"tokens": ids[:-1], "loss_fn_inputs": inputs}


@functools.cache
def _dataset(name: str) -> tuple[dict[str, Any], ...]:
    sentences, flavour = DATASETS[name]
    return tuple(_datum(text, flavour) for text in sentences)


def dataset(name: str) -> list[dict[str, Any]]:
    """The datums of a named dataset (a fresh list each call); KeyError for an unknown name."""
    return [dict(d) for d in _dataset(name)]


def prompt(name_or_tokens: str | list[int]) -> list[int]:
    """Token ids of a named prompt, or the given ids unchanged."""
    if isinstance(name_or_tokens, list):
        return list(name_or_tokens)
    return encode(PROMPTS[name_or_tokens])
