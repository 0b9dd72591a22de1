"""Wall time of the official SDK's happy path (the flow of tests/sdk/test_happy_path.py) against the mock."""

from __future__ import annotations

import os
import time

from benchmarks.measure import Result, median

RUNS = 3


def one_flow() -> float:
    import tinker
    from tinker import types

    from tinker_harness.mock_server.config import ServerConfig
    from tinker_harness.mock_server.local import start_mock
    from tinker_harness.mock_server.tokenizer import encode

    mock = start_mock(ServerConfig(client_config={"use_pyqwest_transport": True}))
    os.environ.update(mock.env)
    started = time.perf_counter()
    service = tinker.ServiceClient()
    training = service.create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=8).result()
    training.get_tokenizer()
    ids = encode("The model saved a checkpoint after every step.")
    data = [
        types.Datum(
            model_input=types.ModelInput.from_ints(ids[:-1]),
            loss_fn_inputs={"target_tokens": ids[1:], "weights": [1.0] * (len(ids) - 1)},
        )
    ]
    for _ in range(10):
        fwdbwd = training.forward_backward(data, "cross_entropy")
        training.optim_step(types.AdamParams(learning_rate=0.02)).result()
        fwdbwd.result()
    path = training.save_state("bench").result().path
    training.save_weights_for_sampler("bench-sampler").result()
    sampling = training.save_weights_and_get_sampling_client().result()
    sampling.sample(
        types.ModelInput.from_ints(ids[:3]), num_samples=2, sampling_params=types.SamplingParams(max_tokens=6, seed=1)
    ).result()
    sampling.compute_logprobs(types.ModelInput.from_ints(ids)).result()
    service.create_training_client_from_state_with_optimizer(path).result()
    rest = tinker.RestClient(base_url=mock.base_url, api_key=mock.api_key)
    rest.get_training_run(training.model_id).result()
    rest.list_checkpoints(training.model_id).result()
    rest.list_training_runs().result()
    rest.get_server_capabilities().result()
    service.close("success").result()
    elapsed = time.perf_counter() - started
    mock.stop()
    return elapsed


def run(quick: bool = False) -> list[Result]:
    runs = 1 if quick else RUNS
    one_flow()  # warm-up: imports of the SDK and transformers
    samples = [one_flow() for _ in range(runs)]
    return [
        Result(
            "official SDK happy path (10 train steps, save, sample, resume, REST, close)",
            median(samples),
            "s",
            "< 5 s",
            f"median of {runs} after one warm-up, pyqwest transport",
            "Official SDK",
        )
    ]
