"""Plain result objects of the operations whose results travel as protobuf (protocol reference §7.2, §7.3).

JSON results (optim steps, saves, REST answers) are the contract models of :mod:`contracts`
themselves. Forward/backward and sample results are decoded from protobuf into these frozen
dataclasses of numpy arrays and lists, in the shape the SDK's own result types have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tinker_harness.contracts import ClientConfigResponse, ClientDynamicConfigResponse, StopReason

__all__ = [
    "ForwardBackwardResult",
    "SampleResult",
    "SampledSequence",
    "ServerConfig",
    "TopkLogprobs",
]


@dataclass(frozen=True)
class ForwardBackwardResult:
    """Result of ``forward`` / ``forward_backward`` (``ForwardBackwardOutput``, §7.3).

    ``loss_fn_outputs[i]`` maps each output field (``logprobs``, ``elementwise_loss``…) of datum
    ``i`` to an array of shape ``[n, *trailing_shape]``; ``metrics`` keys are ``name:reduction``.
    """

    loss_fn_output_type: str
    loss_fn_outputs: list[dict[str, npt.NDArray[Any]]]
    metrics: dict[str, float]


@dataclass(frozen=True)
class TopkLogprobs:
    """The ``k`` most likely tokens per position: both arrays have shape ``[length, k]``."""

    token_ids: npt.NDArray[np.int64]
    logprobs: npt.NDArray[np.float32]


@dataclass(frozen=True)
class SampledSequence:
    """One completion; ``sequence_id`` comes from the ``asample`` future, not the protobuf (§7.2)."""

    stop_reason: StopReason
    tokens: list[int]
    logprobs: list[float] | None
    sequence_id: str
    topk_logprobs: TopkLogprobs | None = None


@dataclass(frozen=True)
class SampleResult:
    """Result of ``sample`` (``SampleResponse``, §7.2); ``prompt_logprobs[0]`` is conventionally None."""

    sequences: list[SampledSequence]
    prompt_logprobs: list[float | None] | None = None
    topk_prompt_logprobs: TopkLogprobs | None = None
    prompt_cache_hit_tokens: int = 0


@dataclass(frozen=True)
class ServerConfig:
    """The server's flags for this client: ``/client/config`` and ``/client/dynamic_config`` (§4.1)."""

    client: ClientConfigResponse = field(default_factory=ClientConfigResponse)
    dynamic: ClientDynamicConfigResponse = field(default_factory=ClientDynamicConfigResponse)
