"""The same user flows written twice: once for the official SDK, once for the reference client (protocol §18).

Every call is awaited before the next one starts, so each flow's foreground traffic has one order.
"""

from __future__ import annotations

from typing import Any

import tinker
from tinker import types

from tinker_harness.contracts import AdamParams, SamplingParams
from tinker_harness.mock_server.tokenizer import encode
from tinker_harness.reference_client import ReferenceClient

BASE_MODEL = "Qwen/Qwen3-8B"
TEXTS = ("The model saved a checkpoint after every step.", "A session sends a heartbeat every ten seconds.")
PROMPT = "The model"
LEARNING_RATE = 0.02
SAMPLE = {"max_tokens": 5, "seed": 3, "temperature": 1.0}


def _rows(text: str) -> tuple[list[int], list[int], list[float]]:
    ids = encode(text)
    return ids[:-1], ids[1:], [1.0] * (len(ids) - 1)


def _training_summary(loss: float, sample: Any, own_run: bool, checkpoints: Any) -> dict[str, Any]:
    """What both clients' training flows must agree on."""
    return {
        "loss": loss,
        "tokens": [list(s.tokens) for s in sample.sequences],
        "run": own_run,
        "checkpoints": sorted(c.checkpoint_id for c in checkpoints.checkpoints),
    }


def sdk_training(base_url: str, api_key: str) -> dict[str, Any]:
    """LoRA training step, both saves, a sampler from the saved weights, one sample, then REST reads."""
    with tinker.ServiceClient(base_url=base_url, api_key=api_key) as service:
        training = service.create_lora_training_client(base_model=BASE_MODEL, rank=8).result()
        data = []
        for text in TEXTS:
            inputs, targets, weights = _rows(text)
            data.append(
                types.Datum(
                    model_input=types.ModelInput.from_ints(inputs),
                    loss_fn_inputs={"target_tokens": targets, "weights": weights},
                )
            )
        loss = training.forward_backward(data, "cross_entropy").result().metrics["loss:sum"]
        training.optim_step(types.AdamParams(learning_rate=LEARNING_RATE)).result()
        state = training.save_state("diff-state").result().path
        sampler_path = training.save_weights_for_sampler("diff-sampler").result().path
        sampling = service.create_sampling_client(model_path=sampler_path).result()
        prompt = types.ModelInput.from_ints(encode(PROMPT))
        sample = sampling.sample(prompt, num_samples=2, sampling_params=types.SamplingParams(**SAMPLE)).result()
        rest = tinker.RestClient(base_url=base_url, api_key=api_key)
        run = rest.get_training_run(training.model_id).result()
        checkpoints = rest.list_checkpoints(training.model_id).result()
        rest.publish_checkpoint_from_tinker_path(state).result()
        rest.unpublish_checkpoint_from_tinker_path(state).result()
        rest.delete_checkpoint_from_tinker_path(sampler_path).result()
        return _training_summary(loss, sample, run.training_run_id == training.model_id, checkpoints)


def reference_training(base_url: str, api_key: str) -> dict[str, Any]:
    """:func:`sdk_training`, through the reference client."""
    from tinker_harness.contracts import Datum, EncodedTextChunk, ModelInput, TensorData

    with ReferenceClient(base_url, api_key) as client:
        training = client.create_lora_training_client(BASE_MODEL, rank=8)
        data = []
        for text in TEXTS:
            inputs, targets, weights = _rows(text)
            data.append(
                Datum(
                    model_input=ModelInput(chunks=[EncodedTextChunk(tokens=inputs)]),
                    loss_fn_inputs={
                        "target_tokens": TensorData(data=targets, dtype="int64"),
                        "weights": TensorData(data=weights, dtype="float32"),
                    },
                )
            )
        loss = training.forward_backward(data, "cross_entropy").result().metrics["loss:sum"]
        training.optim_step(AdamParams(learning_rate=LEARNING_RATE)).result()
        state = training.save_state("diff-state").result().path
        sampler_path = training.save_weights_for_sampler("diff-sampler").result().path
        sampling = client.create_sampling_client(model_path=sampler_path)
        sample = sampling.sample(encode(PROMPT), num_samples=2, sampling_params=SamplingParams(**SAMPLE)).result()
        run = client.rest.get_training_run(training.model_id)
        checkpoints = client.rest.list_checkpoints(training.model_id)
        client.rest.publish_checkpoint_from_tinker_path(state)
        client.rest.unpublish_checkpoint_from_tinker_path(state)
        client.rest.delete_checkpoint_from_tinker_path(sampler_path)
        return _training_summary(loss, sample, run.training_run_id == training.model_id, checkpoints)


def sdk_restore(base_url: str, api_key: str) -> dict[str, Any]:
    """Save a state, resume from it with the optimizer, run a forward pass; base-model logprobs."""
    with tinker.ServiceClient(base_url=base_url, api_key=api_key) as service:
        first = service.create_lora_training_client(base_model=BASE_MODEL, rank=4).result()
        state = first.save_state("resume-here").result().path
        resumed = service.create_training_client_from_state_with_optimizer(state).result()
        inputs, targets, weights = _rows(TEXTS[0])
        datum = types.Datum(
            model_input=types.ModelInput.from_ints(inputs),
            loss_fn_inputs={"target_tokens": targets, "weights": weights},
        )
        forward = resumed.forward([datum], "cross_entropy").result()
        sampling = service.create_sampling_client(base_model=BASE_MODEL).result()
        logprobs = sampling.compute_logprobs(types.ModelInput.from_ints(encode(TEXTS[1]))).result()
        return {"loss": forward.metrics["loss:sum"], "logprobs": logprobs}


def reference_restore(base_url: str, api_key: str) -> dict[str, Any]:
    """:func:`sdk_restore`, through the reference client."""
    from tinker_harness.contracts import Datum, EncodedTextChunk, ModelInput, TensorData

    with ReferenceClient(base_url, api_key) as client:
        first = client.create_lora_training_client(BASE_MODEL, rank=4)
        state = first.save_state("resume-here").result().path
        resumed = client.create_training_client_from_state(state, with_optimizer=True)
        inputs, targets, weights = _rows(TEXTS[0])
        datum = Datum(
            model_input=ModelInput(chunks=[EncodedTextChunk(tokens=inputs)]),
            loss_fn_inputs={
                "target_tokens": TensorData(data=targets, dtype="int64"),
                "weights": TensorData(data=weights, dtype="float32"),
            },
        )
        forward = resumed.forward([datum], "cross_entropy").result()
        sampling = client.create_sampling_client(base_model=BASE_MODEL)
        logprobs = sampling.compute_logprobs(encode(TEXTS[1])).result()
        return {"loss": forward.metrics["loss:sum"], "logprobs": logprobs}
