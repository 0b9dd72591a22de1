"""Result summaries of the reference client's protobuf results, in the shapes of docs/adapter-protocol.md.

``forward``/``forward_backward`` → ``{"loss", "metrics", "outputs", "output_lengths"}``;
``sample`` → ``{"sequences": [{"tokens", "stop_reason", "logprobs"}], "prompt_logprobs",
"topk_prompt_logprobs"}``. Numbers are plain JSON numbers; ``loss`` is ``metrics["loss:sum"]``.
"""

from __future__ import annotations

from typing import Any

from tinker_harness.reference_client import ForwardBackwardResult, SampleResult

__all__ = ["forward_backward_summary", "sample_summary"]


def forward_backward_summary(result: ForwardBackwardResult) -> dict[str, Any]:
    metrics = {key: float(value) for key, value in result.metrics.items()}
    lengths = [int(out["logprobs"].size) if "logprobs" in out else None for out in result.loss_fn_outputs]
    return {"loss": metrics.get("loss:sum"), "metrics": metrics, "outputs": len(result.loss_fn_outputs),
            "output_lengths": lengths}  # fmt: skip


def sample_summary(result: SampleResult) -> dict[str, Any]:
    sequences = [
        {"tokens": list(s.tokens), "stop_reason": s.stop_reason, "logprobs": s.logprobs} for s in result.sequences
    ]
    topk = result.topk_prompt_logprobs
    return {
        "sequences": sequences,
        "prompt_logprobs": result.prompt_logprobs,
        "topk_prompt_logprobs": int(topk.token_ids.shape[1]) if topk is not None else None,
    }
