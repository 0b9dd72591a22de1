"""One training run: forward/backward, optimizer steps and weight saves (protocol reference §7.1, §8.2-§8.4).

Every operation reserves its ``seq_id``\\s when called, submits in turn (:mod:`._turns`) and then
polls its future; it returns an ``asyncio.Task`` at once, so callers can queue a
``forward_backward`` and an ``optim_step`` before waiting for either. ``forward``/
``forward_backward`` are protobuf ``ForwardBackwardRequest`` bodies (zstd-compressed when the
server's ``proto_compress_fwdbwd`` says so), split into chunks by the server's limits
(:mod:`._chunks`); with ``parallel_fwdbwd_chunks`` (the default) chunks 2..N are POSTed
concurrently first and chunk 1 last. Results come back as protobuf and are combined like the SDK.
``optim_step`` sends ``adam_params`` or ``optimizer_params``; the three saves are JSON.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import zstandard

from tinker_harness.contracts import (
    AdamParams,
    Datum,
    GetInfoResponse,
    LossFnType,
    OptimParams,
    OptimStepRequest,
    OptimStepResponse,
    RequestModel,
    ResponseModel,
    SamplingClientKind,
    SaveWeightsExternalRequest,
    SaveWeightsExternalResponse,
    SaveWeightsExternalResponseInternal,
    SaveWeightsForSamplerRequest,
    SaveWeightsForSamplerResponse,
    SaveWeightsForSamplerResponseInternal,
    SaveWeightsRequest,
    SaveWeightsResponse,
    UntypedAPIFuture,
)
from tinker_harness.contracts.catalogue import endpoint_named
from tinker_harness.contracts.tensor_codec import WireFormatError

from ._chunks import combine_results, split_into_chunks
from ._codec import decode_forward_backward, encode_forward_backward
from ._config import api_method
from ._errors import ProtocolError
from ._results import ForwardBackwardResult
from ._sampling import AsyncSamplingClient
from ._session import SessionContext
from ._transport import PROTOBUF_CONTENT
from ._turns import TurnTaker

__all__ = ["AsyncTrainingClient"]

R = TypeVar("R", bound=ResponseModel)


class AsyncTrainingClient:
    """A LoRA training run. Operations start at once and return ``asyncio.Task``\\s."""

    def __init__(self, context: SessionContext, model_seq_id: int, info: GetInfoResponse) -> None:
        self._ctx = context
        self.model_seq_id = model_seq_id
        self.model_id = info.model_id
        self._info = info
        self._turns = TurnTaker()

    def get_info(self) -> GetInfoResponse:
        """The ``/get_info`` answer fetched when the client was created (no request)."""
        return self._info

    @api_method("TrainingClient.forward")
    def forward(
        self, data: Sequence[Datum], loss_fn: LossFnType, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> asyncio.Task[ForwardBackwardResult]:
        """Loss and per-datum outputs without gradients (``forward_only: true``)."""
        return self._forward_backward(data, loss_fn, loss_fn_config, forward_only=True)

    @api_method("TrainingClient.forward_backward")
    def forward_backward(
        self, data: Sequence[Datum], loss_fn: LossFnType, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> asyncio.Task[ForwardBackwardResult]:
        """Loss, per-datum outputs, and gradients accumulated for the next ``optim_step``."""
        return self._forward_backward(data, loss_fn, loss_fn_config, forward_only=False)

    @api_method("TrainingClient.optim_step")
    def optim_step(
        self, adam_params: AdamParams | None = None, *, optimizer_params: OptimParams | None = None
    ) -> asyncio.Task[OptimStepResponse]:
        """Apply the accumulated gradients; pass exactly one of the two parameter kinds."""
        if (adam_params is None) == (optimizer_params is None):
            raise ValueError("pass exactly one of adam_params and optimizer_params")

        def body(seq_id: int) -> OptimStepRequest:
            return OptimStepRequest(
                model_id=self.model_id, seq_id=seq_id, adam_params=adam_params, optimizer_params=optimizer_params
            )

        return self._json_operation("optim_step", body, OptimStepResponse)

    @api_method("TrainingClient.save_state")
    def save_state(
        self,
        name: str,
        ttl_seconds: int | None = None,
        *,
        overwrite: bool = False,
        user_metadata: dict[str, str] | None = None,
    ) -> asyncio.Task[SaveWeightsResponse]:
        """Weights and optimizer state, as ``tinker://<run>/weights/<name>``."""

        def body(seq_id: int) -> SaveWeightsRequest:
            return SaveWeightsRequest(
                model_id=self.model_id,
                path=name,
                seq_id=seq_id,
                ttl_seconds=ttl_seconds,
                overwrite=overwrite,
                user_metadata=user_metadata,
            )

        return self._json_operation("save_weights", body, SaveWeightsResponse)

    @api_method("TrainingClient.save_weights_for_sampler")
    def save_weights_for_sampler(
        self, name: str, ttl_seconds: int | None = None, *, user_metadata: dict[str, str] | None = None
    ) -> asyncio.Task[SaveWeightsForSamplerResponse]:
        """Weights only, as ``tinker://<run>/sampler_weights/<name>``."""

        def body(seq_id: int) -> SaveWeightsForSamplerRequest:
            return SaveWeightsForSamplerRequest(
                model_id=self.model_id, path=name, seq_id=seq_id, ttl_seconds=ttl_seconds, user_metadata=user_metadata
            )

        pending = self._json_operation("save_weights_for_sampler", body, SaveWeightsForSamplerResponseInternal)

        async def saved() -> SaveWeightsForSamplerResponse:
            internal = await pending
            if internal.path is None:
                raise ProtocolError("save_weights_for_sampler result has no path", session_id=self._ctx.session_id)
            return SaveWeightsForSamplerResponse(path=internal.path, type=internal.type)

        return self._ctx.spawn(saved())

    @api_method("TrainingClient.save_weights_external")
    def save_weights_external(
        self, name: str, ttl_seconds: int | None = None
    ) -> asyncio.Task[SaveWeightsExternalResponse]:
        """Weights exported for download, as ``tinker://<run>/external_weights/<name>``."""

        def body(seq_id: int) -> SaveWeightsExternalRequest:
            return SaveWeightsExternalRequest(model_id=self.model_id, path=name, seq_id=seq_id, ttl_seconds=ttl_seconds)

        pending = self._json_operation("save_weights_external", body, SaveWeightsExternalResponseInternal)

        async def saved() -> SaveWeightsExternalResponse:
            internal = await pending
            if internal.path is None:
                raise ProtocolError("save_weights_external result has no path", session_id=self._ctx.session_id)
            return SaveWeightsExternalResponse(path=internal.path, type=internal.type)

        return self._ctx.spawn(saved())

    @api_method("TrainingClient.save_weights_and_get_sampling_client")
    async def save_weights_and_get_sampling_client(self, kind: SamplingClientKind = "snapshot") -> AsyncSamplingClient:
        """Snapshot the weights into a new sampling session (no named checkpoint, no create_sampling_session)."""
        sampling_seq_id = self._ctx.next_sampling_session_seq_id()

        def body(seq_id: int) -> SaveWeightsForSamplerRequest:
            return SaveWeightsForSamplerRequest(
                model_id=self.model_id, sampling_session_seq_id=sampling_seq_id, kind=kind, seq_id=seq_id
            )

        saved = await self._json_operation("save_weights_for_sampler", body, SaveWeightsForSamplerResponseInternal)
        if saved.sampling_session_id is None:
            raise ProtocolError(
                "save_weights_for_sampler result has no sampling_session_id", session_id=self._ctx.session_id
            )
        return AsyncSamplingClient(self._ctx, saved.sampling_session_id, self._info.model_data.model_name)

    # --- submission and polling ------------------------------------------------------------

    def _json_operation(self, endpoint: str, body: Callable[[int], RequestModel], result: type[R]) -> asyncio.Task[R]:
        ids = self._turns.reserve(1)
        request_type = endpoint_named(endpoint).request_type or endpoint

        async def run() -> R:
            async with self._turns.turn(ids):
                future_id = await self._submit(endpoint, body=body(ids.start + 1))
            return await self._ctx.poller.wait_json(future_id, request_type, result)

        return self._ctx.spawn(run())

    async def _submit(self, endpoint: str, *, body: RequestModel | None = None, content: bytes | None = None) -> str:
        headers: dict[str, str] = {}
        if content is not None:
            headers["Content-Type"] = PROTOBUF_CONTENT
            if self._ctx.config.client.proto_compress_fwdbwd:
                content = zstandard.ZstdCompressor().compress(content)
                headers["Content-Encoding"] = "zstd"
        answer = await self._ctx.transport.call(endpoint, body=body, content=content, headers=headers)
        return self._ctx.transport.parse(answer, UntypedAPIFuture).request_id

    def _forward_backward(
        self,
        data: Sequence[Datum],
        loss_fn: LossFnType,
        loss_fn_config: Mapping[str, float | str] | None,
        *,
        forward_only: bool,
    ) -> asyncio.Task[ForwardBackwardResult]:
        if not data:
            raise ValueError("No data provided")
        flags = self._ctx.config.client
        chunks = split_into_chunks(data, flags.fwdbwd_max_chunk_len, flags.fwdbwd_max_chunk_bytes_count)
        ids = self._turns.reserve(len(chunks))
        bodies = [
            encode_forward_backward(self.model_id, seq + 1, chunk, loss_fn, loss_fn_config, forward_only=forward_only)
            for seq, chunk in zip(ids, chunks, strict=True)
        ]
        request_type = "Forward" if forward_only else "ForwardBackward"

        async def run() -> ForwardBackwardResult:
            async with self._turns.turn(ids):
                if flags.parallel_fwdbwd_chunks and len(bodies) > 1:
                    later = await asyncio.gather(*(self._submit("forward_backward", content=b) for b in bodies[1:]))
                    future_ids = [await self._submit("forward_backward", content=bodies[0]), *later]
                else:
                    future_ids = [await self._submit("forward_backward", content=b) for b in bodies]
            raw = await asyncio.gather(*(self._ctx.poller.wait_protobuf(f, request_type) for f in future_ids))
            try:
                return combine_results([decode_forward_backward(body) for body in raw])
            except WireFormatError as exc:
                raise ProtocolError(
                    f"unreadable ForwardBackwardOutput: {exc}", session_id=self._ctx.session_id
                ) from None

        return self._ctx.spawn(run())
