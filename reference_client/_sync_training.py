"""Blocking twins of the training and sampling clients (protocol reference §8.4, §9.3): no logic of their own.

Operations that are futures on the wire return a ``concurrent.futures.Future`` at once, like the
SDK's ``APIFuture``; ``save_weights_and_get_sampling_client`` blocks and returns a sampler.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping, Sequence
from functools import partial

from tinker_harness.contracts import (
    AdamParams,
    Datum,
    GetInfoResponse,
    LossFnType,
    ModelInput,
    OptimParams,
    OptimStepResponse,
    SamplingClientKind,
    SamplingParams,
    SaveWeightsExternalResponse,
    SaveWeightsForSamplerResponse,
    SaveWeightsResponse,
)

from ._portal import Portal
from ._results import ForwardBackwardResult, SampleResult
from ._sampling import AsyncSamplingClient
from ._training import AsyncTrainingClient

__all__ = ["SamplingClient", "TrainingClient"]

Future = concurrent.futures.Future


class SamplingClient:
    """Blocking twin of :class:`AsyncSamplingClient`."""

    def __init__(self, portal: Portal, client: AsyncSamplingClient) -> None:
        self._portal = portal
        self.async_client = client
        self.sampling_session_id = client.sampling_session_id
        self.base_model = client.base_model

    def sample(
        self,
        prompt: ModelInput | Sequence[int],
        num_samples: int = 1,
        sampling_params: SamplingParams | None = None,
        *,
        include_prompt_logprobs: bool = False,
        topk_prompt_logprobs: int = 0,
        topk_sample_logprobs: int = 0,
    ) -> Future[SampleResult]:
        start = partial(
            self.async_client.sample,
            prompt,
            num_samples,
            sampling_params,
            include_prompt_logprobs=include_prompt_logprobs,
            topk_prompt_logprobs=topk_prompt_logprobs,
            topk_sample_logprobs=topk_sample_logprobs,
        )
        return self._portal.submit(start)

    def compute_logprobs(self, prompt: ModelInput | Sequence[int]) -> Future[list[float | None]]:
        return self._portal.submit(lambda: self.async_client.compute_logprobs(prompt))


class TrainingClient:
    """Blocking twin of :class:`AsyncTrainingClient`."""

    def __init__(self, portal: Portal, client: AsyncTrainingClient) -> None:
        self._portal = portal
        self.async_client = client
        self.model_id = client.model_id
        self.model_seq_id = client.model_seq_id

    def get_info(self) -> GetInfoResponse:
        return self.async_client.get_info()

    def forward(
        self, data: Sequence[Datum], loss_fn: LossFnType, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> Future[ForwardBackwardResult]:
        return self._portal.submit(lambda: self.async_client.forward(data, loss_fn, loss_fn_config))

    def forward_backward(
        self, data: Sequence[Datum], loss_fn: LossFnType, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> Future[ForwardBackwardResult]:
        return self._portal.submit(lambda: self.async_client.forward_backward(data, loss_fn, loss_fn_config))

    def optim_step(
        self, adam_params: AdamParams | None = None, *, optimizer_params: OptimParams | None = None
    ) -> Future[OptimStepResponse]:
        return self._portal.submit(lambda: self.async_client.optim_step(adam_params, optimizer_params=optimizer_params))

    def save_state(
        self,
        name: str,
        ttl_seconds: int | None = None,
        *,
        overwrite: bool = False,
        user_metadata: dict[str, str] | None = None,
    ) -> Future[SaveWeightsResponse]:
        return self._portal.submit(
            partial(self.async_client.save_state, name, ttl_seconds, overwrite=overwrite, user_metadata=user_metadata)
        )

    def save_weights_for_sampler(
        self, name: str, ttl_seconds: int | None = None, *, user_metadata: dict[str, str] | None = None
    ) -> Future[SaveWeightsForSamplerResponse]:
        return self._portal.submit(
            lambda: self.async_client.save_weights_for_sampler(name, ttl_seconds, user_metadata=user_metadata)
        )

    def save_weights_external(self, name: str, ttl_seconds: int | None = None) -> Future[SaveWeightsExternalResponse]:
        return self._portal.submit(lambda: self.async_client.save_weights_external(name, ttl_seconds))

    def save_weights_and_get_sampling_client(self, kind: SamplingClientKind = "snapshot") -> SamplingClient:
        sampler = self._portal.run(lambda: self.async_client.save_weights_and_get_sampling_client(kind))
        return SamplingClient(self._portal, sampler)
