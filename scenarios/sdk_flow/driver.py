"""The end-to-end flow, written against the public API every SDK generation shares (0.15 → 0.38).

Run by the tests with the interpreter of one SDK version's own virtual environment; it may import only
the standard library and that version's ``tinker``. Prints one JSON object with what the flow observed.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
import urllib.request
from typing import Any

import tinker
from tinker import types

BASE_MODEL = "Qwen/Qwen3-8B"
SEQUENCES = [[300, 362, 262, 67, 88, 288, 261, 473, 489, 16], [43, 85, 263, 262, 420, 339, 462, 464, 68, 71]]
PROMPT = [300, 362, 262]


def resolve(value: Any) -> Any:
    """Client-creating calls return the client (old SDKs) or a future of it (new SDKs)."""
    if type(value).__name__.endswith("Future") and hasattr(value, "result"):
        return value.result()
    return value


def datum(ids: list[int]) -> Any:
    return types.Datum(
        model_input=types.ModelInput.from_ints(ids[:-1]),
        loss_fn_inputs={"target_tokens": ids[1:], "weights": [1.0] * (len(ids) - 1)},
    )


def main() -> None:
    service = tinker.ServiceClient()
    training = resolve(service.create_lora_training_client(base_model=BASE_MODEL, rank=8))
    data = [datum(ids) for ids in SEQUENCES]
    losses = []
    for _ in range(8):
        fwdbwd = training.forward_backward(data, "cross_entropy")
        optim = training.optim_step(types.AdamParams(learning_rate=0.02))
        losses.append(fwdbwd.result().metrics["loss:sum"])
        optim.result()
    forward = training.forward([datum(SEQUENCES[0])], "cross_entropy").result()
    state_path = training.save_state("state-8").result().path
    sampler_path = training.save_weights_for_sampler("sampler-8").result().path
    sampling = resolve(training.save_weights_and_get_sampling_client())
    params = types.SamplingParams(max_tokens=5, seed=3)
    sample = sampling.sample(prompt=types.ModelInput.from_ints(PROMPT), num_samples=2, sampling_params=params).result()
    logprobs = sampling.compute_logprobs(types.ModelInput.from_ints(SEQUENCES[0])).result()
    resumed = resolve(service.create_training_client_from_state_with_optimizer(state_path))
    resumed_forward = resumed.forward([datum(SEQUENCES[0])], "cross_entropy").result()
    rest = service.create_rest_client()
    run = rest.get_training_run(training.model_id).result()
    checkpoints = rest.list_checkpoints(training.model_id).result()
    capabilities = service.get_server_capabilities()
    archive: list[str] = []
    if hasattr(rest, "get_checkpoint_archive_url_from_tinker_path"):  # 0.15-0.30.4: 302 to a signed tar.gz
        url = rest.get_checkpoint_archive_url_from_tinker_path(state_path).result()
        url = getattr(url, "url", url)
        with (
            urllib.request.urlopen(url, timeout=30) as response,
            tarfile.open(fileobj=io.BytesIO(response.read())) as tar,
        ):
            archive = sorted(tar.getnames())
    if hasattr(service, "close"):
        resolve(service.close("success"))
    print(
        json.dumps(
            {
                "version": tinker.__version__ if hasattr(tinker, "__version__") else os.environ.get("SDK_VERSION"),
                "losses": losses,
                "forward_logprobs": [float(x) for x in forward.loss_fn_outputs[0]["logprobs"].tolist()],
                "resumed_logprobs": [float(x) for x in resumed_forward.loss_fn_outputs[0]["logprobs"].tolist()],
                "compute_logprobs": logprobs,
                "state_path": state_path,
                "sampler_path": sampler_path,
                "samples": [list(s.tokens) for s in sample.sequences],
                "sample_logprobs": [list(s.logprobs or []) for s in sample.sequences],
                "run_id": run.training_run_id,
                "model_id": training.model_id,
                "resumed_model_id": resumed.model_id,
                "checkpoints": sorted(c.tinker_path for c in checkpoints.checkpoints),
                "models": [m.model_name for m in capabilities.supported_models],
                "archive": archive,
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
