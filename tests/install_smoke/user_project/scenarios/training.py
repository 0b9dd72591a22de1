"""The user's training loop: a few supervised steps through the official Tinker SDK."""

from __future__ import annotations

import tinker
from tinker import types

from contracts.catalogue import BASE_MODELS


def datum(tokens: list[int]) -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={"target_tokens": tokens[1:], "weights": [1.0] * (len(tokens) - 1)},
    )


def train(steps: int) -> list[float]:
    """Train a LoRA for ``steps`` steps on one short sequence; return the loss of each step."""
    service = tinker.ServiceClient()
    training = service.create_lora_training_client(base_model=BASE_MODELS[0], rank=4).result()
    data = [datum(training.get_tokenizer().encode("The model saved a checkpoint after every step."))]
    losses = []
    for _ in range(steps):
        fwdbwd = training.forward_backward(data, "cross_entropy")
        training.optim_step(types.AdamParams(learning_rate=0.02)).result()
        losses.append(fwdbwd.result().metrics["loss:sum"])
    return losses
