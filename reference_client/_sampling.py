"""Sampling from a sampling session (protocol reference §7.2, §9.1-§9.3, §15.3 ``asample`` column).

Each ``sample`` / ``compute_logprobs`` takes the sampler's next ``seq_id`` (from 0) and POSTs
``/api/v1/asample`` with ``X-Tinker-Sampling-Backpressure: 1`` and no transport retries, inside
the holder layer. A 429 (or a 402 inside the billing window) is backpressure, not an error: all
samplers of the session wait until ``now + 1 s`` (``+ 5 s`` for prompts estimated above 128 KiB,
at 10 bytes per token) in 1 s steps, then the *same* ``seq_id`` is submitted again. The future is
polled for a protobuf ``SampleResponse``; if its promise expires (410) the whole sample is
submitted again under a *new* ``seq_id`` after a transport-style backoff, up to ``max_resubmits``
times (the SDK's retry handler keeps going for up to two hours instead). ``compute_logprobs`` is
a one-sample, ``max_tokens=1`` sample with prompt logprobs.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

from tinker_harness.contracts import (
    EncodedTextChunk,
    ModelInput,
    SampleRequest,
    SamplingParams,
    UntypedAPIFuture,
)
from tinker_harness.contracts.tensor_codec import WireFormatError

from ._chunks import estimate_input_bytes
from ._codec import decode_sample
from ._config import api_method
from ._errors import APIStatusError, FutureExpired, ProtocolError
from ._results import SampleResult
from ._session import SessionContext

__all__ = ["AsyncSamplingClient", "as_model_input"]

BIG_PROMPT_BYTES = 128 * 1024


def as_model_input(prompt: ModelInput | Sequence[int]) -> ModelInput:
    """A ``ModelInput`` as is, or a list of token ids as one ``encoded_text`` chunk."""
    if isinstance(prompt, ModelInput):
        return prompt
    return ModelInput(chunks=[EncodedTextChunk(tokens=list(prompt))])


class AsyncSamplingClient:
    """Samples from one sampling session. Operations start at once and return ``asyncio.Task``s."""

    def __init__(
        self, context: SessionContext, sampling_session_id: str, base_model: str | None, *, max_resubmits: int = 10
    ) -> None:
        self._ctx = context
        self.sampling_session_id = sampling_session_id
        self.base_model = base_model
        self.max_resubmits = max_resubmits
        self._seq_ids = itertools.count()

    @api_method("SamplingClient.sample")
    def sample(
        self,
        prompt: ModelInput | Sequence[int],
        num_samples: int = 1,
        sampling_params: SamplingParams | None = None,
        *,
        include_prompt_logprobs: bool = False,
        topk_prompt_logprobs: int = 0,
        topk_sample_logprobs: int = 0,
    ) -> asyncio.Task[SampleResult]:
        """Draw ``num_samples`` completions of ``prompt``."""
        template = SampleRequest(
            num_samples=num_samples,
            prompt=as_model_input(prompt),
            sampling_params=sampling_params or SamplingParams(),
            sampling_session_id=self.sampling_session_id,
            prompt_logprobs=include_prompt_logprobs,
            topk_prompt_logprobs=topk_prompt_logprobs,
            topk_sample_logprobs=topk_sample_logprobs,
            record_stability_info=False,
        )
        return self._ctx.spawn(self._sample(template))

    @api_method("SamplingClient.compute_logprobs")
    def compute_logprobs(self, prompt: ModelInput | Sequence[int]) -> asyncio.Task[list[float | None]]:
        """Per-token logprobs of ``prompt`` under the sampler's weights; the first entry is None."""
        template = SampleRequest(
            num_samples=1,
            prompt=as_model_input(prompt),
            sampling_params=SamplingParams(max_tokens=1),
            sampling_session_id=self.sampling_session_id,
            prompt_logprobs=True,
            record_stability_info=False,
        )

        async def logprobs() -> list[float | None]:
            return (await self._sample(template)).prompt_logprobs or []

        return self._ctx.spawn(logprobs())

    async def _sample(self, template: SampleRequest) -> SampleResult:
        clock = self._ctx.transport.clock
        for resubmits in itertools.count():
            request = template.model_copy(update={"seq_id": next(self._seq_ids)})
            future = await self._submit(request)
            try:
                body = await self._ctx.poller.wait_protobuf(future.request_id, "Sample")
            except FutureExpired:
                if resubmits >= self.max_resubmits:
                    raise
                await clock.sleep(self._ctx.transport.retry.delay(resubmits))
                continue
            try:
                return decode_sample(body, future.sample_sequence_ids or [])
            except WireFormatError as exc:
                raise ProtocolError(
                    f"unreadable SampleResponse of request {future.request_id}: {exc}", session_id=self._ctx.session_id
                ) from None
        raise AssertionError("unreachable")

    async def _submit(self, request: SampleRequest) -> UntypedAPIFuture:
        """POST /asample until it is accepted: 429 waits out the backoff and resubmits the same seq_id."""
        ctx, clock = self._ctx, self._ctx.transport.clock
        backoff = 1.0 if estimate_input_bytes(request.prompt, bytes_per_token=10) <= BIG_PROMPT_BYTES else 5.0
        while True:
            while ctx.sample_backoff_until is not None and clock.now() < ctx.sample_backoff_until:
                await clock.sleep(1.0)
            future = await ctx.transport.with_holder_retries(lambda: self._post(request))
            if future is not None:
                return future
            ctx.sample_backoff_until = clock.now() + backoff

    async def _post(self, request: SampleRequest) -> UntypedAPIFuture | None:
        """One submission; None means "backpressure, try again later"."""
        transport = self._ctx.transport
        headers = {"X-Tinker-Sampling-Backpressure": "1"}
        try:
            answer = await transport.call("asample", body=request, headers=headers, holder_retries=False)
        except APIStatusError as exc:
            if exc.status == 429 or (exc.status == 402 and transport.billing.should_pause()):
                return None
            raise
        future = transport.parse(answer, UntypedAPIFuture)
        if len(future.sample_sequence_ids or []) != request.num_samples:
            raise ProtocolError(
                f"asample future carries {len(future.sample_sequence_ids or [])} sample_sequence_ids "
                f"for num_samples={request.num_samples} (§0 item 7)",
                method="POST",
                path=answer.request.url.path,
                status=answer.status_code,
                request_id=answer.headers.get("x-request-id"),
                session_id=transport.session_id,
            )
        return future
