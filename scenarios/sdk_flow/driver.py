"""The end-to-end flow, written against the public API every SDK generation shares (0.15 → 0.38).

Run with the interpreter of one SDK version's own virtual environment, against any Tinker server
(``TINKER_BASE_URL`` and ``TINKER_API_KEY``; the base model from ``TINKER_HARNESS_FLOW_BASE_MODEL``,
default ``Qwen/Qwen3-8B``); it may import only the standard library and that
version's ``tinker`` (plus torch for the custom-loss step, from ``TINKER_HARNESS_FLOW_TORCH_PATH``,
appended after the environment's own packages). Prints one JSON object with what the flow observed.
Steps a version does not have (archive, finish, server-side custom losses, session search) are
skipped by feature test, never by version number, so the same file runs unmodified everywhere.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import sys
import tarfile
import urllib.request
from typing import Any

# torch for the custom-loss step; the SDK looks for it when ``tinker`` is imported. Appended, so the
# environment's own packages (tinker, numpy, pydantic) still win.
if os.environ.get("TINKER_HARNESS_FLOW_TORCH_PATH"):
    sys.path.append(os.environ["TINKER_HARNESS_FLOW_TORCH_PATH"])

import tinker  # noqa: E402
from tinker import types  # noqa: E402

BASE_MODEL = os.environ.get("TINKER_HARNESS_FLOW_BASE_MODEL", "Qwen/Qwen3-8B")
SEQUENCES = [[300, 362, 262, 67, 88, 288, 261, 473, 489, 16], [43, 85, 263, 262, 420, 339, 462, 464, 68, 71]]
PROMPT = [300, 362, 262]
# Steps a variant leaves out, for an SDK defect the caller names (``TINKER_HARNESS_FLOW_SKIP=archive``).
SKIP = set(filter(None, os.environ.get("TINKER_HARNESS_FLOW_SKIP", "").split(",")))


def resolve(value: Any) -> Any:
    """Client-creating calls return the client (old SDKs) or a future of it (new SDKs)."""
    if type(value).__name__.endswith("Future") and hasattr(value, "result"):
        return value.result()
    return value


def datum(ids: list[int]) -> Any:
    inputs: Any = {"target_tokens": ids[1:], "weights": [1.0] * (len(ids) - 1)}  # lists: every SDK converts them
    return types.Datum(model_input=types.ModelInput.from_ints(ids[:-1]), loss_fn_inputs=inputs)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def custom_loss(service: Any, training: Any, data: list[Any]) -> dict[str, Any]:
    """``forward_backward_custom`` with ``-Σ w·logprob`` (= cross-entropy): server-side where the SDK
    has ``create_custom_loss`` (0.36+; the server decides via ``custom_loss_server_side``), else a
    client-side callable (every version)."""
    torch = _torch()
    if torch is None:
        return {"mode": "skipped (no torch)"}
    if hasattr(service, "create_custom_loss"):

        def neg_ll(logprobs: Any, weights: Any) -> Any:
            loss = -(logprobs * weights).sum()
            return loss, {"custom/neg_ll:sum": loss}

        handle = service.create_custom_loss(neg_ll, {"logprobs": 1, "weights": 1}).result()
        mode = "server" if getattr(handle, "loss_id", None) else "client-handle"
        out = training.forward_backward_custom(data, handle).result()
    else:

        def loss_fn(batch: list[Any], logprobs: list[Any]) -> Any:
            total = sum((-(lp * torch.ones_like(lp)).sum() for lp in logprobs), torch.zeros(()))
            return total, {"custom/neg_ll:sum": float(total.detach())}

        mode = "client"
        out = training.forward_backward_custom(data, loss_fn).result()
    return {"mode": mode, "metrics": {k: float(v) for k, v in out.metrics.items()}}


def archive_names(rest: Any, state_path: str) -> list[str]:
    """The legacy archive (0.15–0.33): a 302 to a signed tar.gz the flow downloads and lists."""
    if not hasattr(rest, "get_checkpoint_archive_url_from_tinker_path") or "archive" in SKIP:
        return []
    url = rest.get_checkpoint_archive_url_from_tinker_path(state_path).result()
    url = getattr(url, "url", url)
    with urllib.request.urlopen(url, timeout=30) as response, tarfile.open(fileobj=io.BytesIO(response.read())) as tar:
        return sorted(tar.getnames())


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
    forward_all = training.forward(data, "cross_entropy").result()
    custom = custom_loss(service, training, data)
    state_path = training.save_state("state-8").result().path
    sampler_path = training.save_weights_for_sampler("sampler-8").result().path
    sampling = resolve(training.save_weights_and_get_sampling_client())
    params = types.SamplingParams(max_tokens=5, seed=3)
    sample = sampling.sample(prompt=types.ModelInput.from_ints(PROMPT), num_samples=2, sampling_params=params).result()
    # A pickled copy is what a worker process gets: a "shadow" client that, where the server sets
    # sample_join_sampling_session (0.33.1+), joins the sampling session before its first sample.
    shadow = pickle.loads(pickle.dumps(sampling))
    shadow_sample = shadow.sample(prompt=types.ModelInput.from_ints(PROMPT), num_samples=2, sampling_params=params)
    shadow_samples = [list(s.tokens) for s in shadow_sample.result().sequences]
    logprobs = sampling.compute_logprobs(types.ModelInput.from_ints(SEQUENCES[0])).result()
    resumed = resolve(service.create_training_client_from_state_with_optimizer(state_path))
    resumed_forward = resumed.forward([datum(SEQUENCES[0])], "cross_entropy").result()
    rest = service.create_rest_client()
    run = rest.get_training_run(training.model_id).result()
    checkpoints = rest.list_checkpoints(training.model_id).result()
    capabilities = service.get_server_capabilities()
    archive = archive_names(rest, state_path)
    sessions: list[str] = []
    if hasattr(rest, "search_sessions"):  # 0.36+: POST /api/v1/sessions/search
        found = rest.search_sessions(types.SessionSearchRequest()).result()
        sessions = [s.session_id for s in getattr(found, "sessions", [])]
    finished = False
    if hasattr(service, "close"):  # 0.27.2+: POST /api/v1/sessions/{id}/finish
        resolve(service.close("success"))
        finished = True
    print(
        json.dumps(
            {
                "version": getattr(tinker, "__version__", os.environ.get("SDK_VERSION")),
                "losses": losses,
                "forward_logprobs": [float(x) for x in forward.loss_fn_outputs[0]["logprobs"].tolist()],
                "forward_loss": float(forward_all.metrics["loss:sum"]),
                "custom_loss": custom,
                "resumed_logprobs": [float(x) for x in resumed_forward.loss_fn_outputs[0]["logprobs"].tolist()],
                "compute_logprobs": logprobs,
                "state_path": state_path,
                "sampler_path": sampler_path,
                "samples": [list(s.tokens) for s in sample.sequences],
                "shadow_samples": shadow_samples,
                "sample_logprobs": [list(s.logprobs or []) for s in sample.sequences],
                "run_id": run.training_run_id,
                "model_id": training.model_id,
                "resumed_model_id": resumed.model_id,
                "checkpoints": sorted(c.tinker_path for c in checkpoints.checkpoints),
                "models": [m.model_name for m in capabilities.supported_models],
                "archive": archive,
                "sessions": sessions,
                "finished": finished,
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
