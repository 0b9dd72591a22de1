"""The official SDK's LoRA training + sampling flow against one server, timed; prints one JSON line.

Run with an SDK venv's python: ``python sdk_flow.py BASE_URL BASE_MODEL``. The flow (protocol reference
§4 session, §6 futures, §7 training, §9 sampling): create a LoRA training client, ``STEPS`` rounds of
forward_backward + optim_step, save weights for the sampler, sample. The JSON line reports the wall time
of the flow (after imports) and what came back, so the caller can check the flow really ran.
"""

from __future__ import annotations

import json
import sys
import time

STEPS = 3
PROMPT = [11, 42, 7, 99, 23, 5, 64, 128, 3, 77, 19, 250]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: sdk_flow.py BASE_URL BASE_MODEL", file=sys.stderr)
        return 2
    base_url, base_model = argv
    import numpy as np
    import tinker
    from tinker import types

    started = time.perf_counter()
    service = tinker.ServiceClient(base_url=base_url, api_key="tml-benchmark")
    training = service.create_lora_training_client(base_model=base_model, rank=4)
    datum = types.Datum(
        model_input=types.ModelInput.from_ints(PROMPT[:-1]),
        loss_fn_inputs={
            "target_tokens": types.TensorData.from_numpy(np.array(PROMPT[1:], dtype=np.int64)),
            "weights": types.TensorData.from_numpy(np.ones(len(PROMPT) - 1, dtype=np.float32)),
        },
    )
    losses: list[float] = []
    for _ in range(STEPS):
        fwdbwd = training.forward_backward([datum], "cross_entropy")
        optim = training.optim_step(types.AdamParams(learning_rate=1e-2))
        output = fwdbwd.result()
        optim.result()
        logprobs = output.loss_fn_outputs[0]["logprobs"].tolist()
        losses.append(-sum(logprobs) / len(logprobs))
    sampling = training.save_weights_and_get_sampling_client(name="bench")
    sampled = sampling.sample(
        prompt=types.ModelInput.from_ints(PROMPT[:4]),
        num_samples=2,
        sampling_params=types.SamplingParams(max_tokens=8, temperature=1.0, seed=1),
    ).result()
    elapsed = time.perf_counter() - started
    report = {
        "seconds": elapsed,
        "sdk_version": tinker.__version__,
        "model_id": training.model_id,
        "losses": losses,
        "sample_lengths": [len(seq.tokens) for seq in sampled.sequences],
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
