"""The async entry point: one session and the clients made from it (protocol reference §4, §8.1, §9.1, §20).

``async with AsyncReferenceClient(...) as client`` bootstraps (config, dynamic config, session,
heartbeat) and finishes the session on exit (``success``, or ``errored`` / ``interrupted`` when
the block raised). Training clients come from ``create_model`` (a future, then ``/get_info``) or
from a checkpoint by create-via-load (``/load_weights`` with ``{session_id, model_seq_id}``; the
model id is then ``{session_id}:train:{model_seq_id}`` by convention, §0 item 10). Sampling
clients come from ``/create_sampling_session`` (plus ``GET /samplers/{id}`` when the base model
is not known) or from a training client's weights.
"""

from __future__ import annotations

import enum
from types import TracebackType
from typing import Any, Self

import httpx

from tinker_harness.contracts import ClientSessionFinishReasonType as FinishReason
from tinker_harness.contracts import (
    CreateModelRequest,
    CreateModelResponse,
    CreateSamplingSessionRequest,
    CreateSamplingSessionResponse,
    GetInfoRequest,
    GetInfoResponse,
    LoadWeightsRequest,
    LoadWeightsResponse,
    LoraConfig,
    OptimizerConfig,
    UntypedAPIFuture,
)

from ._clock import Clock
from ._config import ClientSettings, api_method
from ._futures import FuturePoller
from ._poll_rules import QueueObserver
from ._rest import AsyncRestClient
from ._results import ServerConfig
from ._retry import HolderPolicy, RetryPolicy
from ._sampling import AsyncSamplingClient
from ._session import Heartbeat, SessionContext, fetch_server_config, finish_session, open_session
from ._training import AsyncTrainingClient
from ._transport import Transport

__all__ = ["AsyncReferenceClient"]


class ClientState(enum.Enum):
    UNOPENED = "unopened"  # constructed; nothing sent yet
    OPENED = "opened"  # session created, heartbeat running
    CLOSED = "closed"  # session finished (or start failed); cannot be reopened


class AsyncReferenceClient:
    """A Tinker session: bootstrap, heartbeat, and the training/sampling/REST clients of the session."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        user_metadata: dict[str, Any] | None = None,
        project_id: str | None = None,
        display_name: str | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        holder: HolderPolicy | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        queue_observer: QueueObserver | None = None,
    ) -> None:
        settings = ClientSettings.resolve(base_url, api_key, project_id=project_id)
        self.transport = Transport(settings, clock=clock, retry=retry, holder=holder, http_transport=http_transport)
        self.rest = AsyncRestClient(self.transport)
        self._user_metadata = user_metadata
        self._display_name = display_name
        self._observer = queue_observer
        self._state = ClientState.UNOPENED
        self._context: SessionContext | None = None
        self.heartbeat: Heartbeat | None = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        reason: FinishReason = "success" if exc is None else "errored" if isinstance(exc, Exception) else "interrupted"
        await self.close(reason)

    async def start(self) -> None:
        """Bootstrap and open the session (§4.1): config, dynamic config, create_session, heartbeat."""
        if self._state is not ClientState.UNOPENED:
            raise RuntimeError(
                {
                    ClientState.OPENED: "the client is already started",
                    ClientState.CLOSED: "a closed client cannot be started again",
                }[self._state]
            )
        self._state = ClientState.CLOSED  # until the session exists
        try:
            config = await fetch_server_config(self.transport)
            session_id = await open_session(
                self.transport, user_metadata=self._user_metadata, display_name=self._display_name
            )
        except BaseException:
            await self.transport.aclose()
            raise
        poller = FuturePoller(self.transport, self._observer)
        self._context = SessionContext(self.transport, poller, session_id, config)
        self.heartbeat = Heartbeat(self.transport, session_id)
        self.heartbeat.start()
        self._state = ClientState.OPENED

    @property
    def session(self) -> SessionContext:
        if self._context is None or self._state is not ClientState.OPENED:
            raise RuntimeError("the client has no open session: use 'async with' or call start() first")
        return self._context

    @property
    def session_id(self) -> str:
        """The session's id; still readable after close (for logs and journals)."""
        if self._context is None:
            raise RuntimeError("the client has no session yet: use 'async with' or call start() first")
        return self._context.session_id

    @property
    def server_config(self) -> ServerConfig:
        return self.session.config

    @api_method("ServiceClient.create_lora_training_client")
    async def create_lora_training_client(
        self,
        base_model: str,
        rank: int = 32,
        *,
        seed: int | None = None,
        train_mlp: bool = True,
        train_attn: bool = True,
        train_unembed: bool = True,
        user_metadata: dict[str, Any] | None = None,
        optimizer_config: OptimizerConfig | None = None,
    ) -> AsyncTrainingClient:
        """A new LoRA training run: ``/create_model``, its future, then ``/get_info``."""
        if not (train_mlp or train_attn or train_unembed):
            raise ValueError("at least one of train_mlp, train_attn and train_unembed must be True")
        ctx = self.session
        model_seq_id = ctx.next_model_seq_id()
        lora = LoraConfig(rank=rank, seed=seed, train_mlp=train_mlp, train_attn=train_attn, train_unembed=train_unembed)
        fields: dict[str, Any] = {"optimizer_config": optimizer_config} if optimizer_config is not None else {}
        request = CreateModelRequest(
            session_id=ctx.session_id,
            model_seq_id=model_seq_id,
            base_model=base_model,
            user_metadata=user_metadata,
            lora_config=lora,
            **fields,
        )
        future = self.transport.parse(await self.transport.call("create_model", body=request), UntypedAPIFuture)
        created = await ctx.poller.wait_json(future.request_id, "CreateModel", CreateModelResponse)
        return await self._training_client(model_seq_id, created.model_id)

    @api_method("ServiceClient.create_training_client_from_state")
    async def create_training_client_from_state(
        self,
        tinker_path: str,
        *,
        with_optimizer: bool = False,
        base_model: str | None = None,
        user_metadata: dict[str, Any] | None = None,
        optimizer_config: OptimizerConfig | None = None,
    ) -> AsyncTrainingClient:
        """A new run from a ``weights/`` checkpoint (create-via-load); ``with_optimizer`` restores Adam state."""
        ctx = self.session
        model_seq_id = ctx.next_model_seq_id()
        request = LoadWeightsRequest(
            session_id=ctx.session_id,
            model_seq_id=model_seq_id,
            path=tinker_path,
            optimizer=with_optimizer,
            base_model=base_model,
            user_metadata=user_metadata,
            optimizer_config=optimizer_config,
        )
        future = self.transport.parse(await self.transport.call("load_weights", body=request), UntypedAPIFuture)
        await ctx.poller.wait_json(future.request_id, "LoadWeights", LoadWeightsResponse)
        return await self._training_client(model_seq_id, f"{ctx.session_id}:train:{model_seq_id}")

    @api_method("ServiceClient.create_sampling_client")
    async def create_sampling_client(
        self, *, model_path: str | None = None, base_model: str | None = None
    ) -> AsyncSamplingClient:
        """A sampler of a checkpoint (``tinker://…``) or of a base model."""
        if model_path is None and base_model is None:
            raise ValueError("pass model_path or base_model")
        if model_path is not None and not model_path.startswith("tinker://"):
            raise ValueError("model_path must start with 'tinker://'")
        ctx = self.session
        request = CreateSamplingSessionRequest(
            session_id=ctx.session_id,
            sampling_session_seq_id=ctx.next_sampling_session_seq_id(),
            model_path=model_path,
            base_model=base_model,
        )
        answer = await self.transport.call("create_sampling_session", body=request)
        sampler_id = self.transport.parse(answer, CreateSamplingSessionResponse).sampling_session_id
        if base_model is None:
            base_model = (await self.rest.get_sampler(sampler_id)).base_model
        return AsyncSamplingClient(ctx, sampler_id, base_model)

    async def _training_client(self, model_seq_id: int, model_id: str) -> AsyncTrainingClient:
        answer = await self.transport.call("get_info", body=GetInfoRequest(model_id=model_id))
        info = self.transport.parse(answer, GetInfoResponse)
        return AsyncTrainingClient(self.session, model_seq_id, info)

    async def abandon(self) -> None:
        """Stop heartbeats, cancel operations and release the connections *without* finishing the session,
        as a process that exits without ``close`` leaves it (the server expires it, §4.3); idempotent."""
        await self._shut_down(finish=None)

    @api_method("ServiceClient.close")
    async def close(self, reason: FinishReason = "success", detail: str | None = None) -> None:
        """Cancel operations still running, finish the session, release the connections; idempotent."""
        await self._shut_down(finish=(reason, detail))

    async def _shut_down(self, finish: tuple[FinishReason, str | None] | None) -> None:
        """Stop heartbeats, cancel operations, finish the session when ``finish`` is given (§4.4), and release
        the connections; a second call does nothing."""
        if self._state is ClientState.CLOSED:
            return
        self._state = ClientState.CLOSED
        try:
            if self.heartbeat is not None:
                await self.heartbeat.stop()
            if self._context is not None:
                await self._context.cancel_pending()
                if finish is not None:
                    await finish_session(self.transport, self._context.session_id, *finish)
        finally:
            await self.transport.aclose()
