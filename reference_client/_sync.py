"""The blocking client: a thin wrapper that runs the async one on a :class:`Portal` (protocol reference §18).

No protocol logic lives here. Operations that are futures on the wire (training steps, saves,
samples; :mod:`._sync_training`) return a ``concurrent.futures.Future`` at once, like the SDK's
``APIFuture``: queue a ``forward_backward`` and an ``optim_step``, then call ``.result()`` on each.
Everything else (creating clients, REST calls, closing) blocks until done. A ``queue_observer`` is
called on the client's loop thread, so it must not block.
"""

from __future__ import annotations

from functools import partial
from types import TracebackType
from typing import Any, Self

import httpx

from tinker_harness.contracts import ClientSessionFinishReasonType as FinishReason
from tinker_harness.contracts import OptimizerConfig

from ._client import AsyncReferenceClient
from ._clock import Clock
from ._poll_rules import QueueObserver
from ._portal import Portal
from ._results import ServerConfig
from ._retry import HolderPolicy, RetryPolicy
from ._session import Heartbeat
from ._sync_rest import RestClient
from ._sync_training import SamplingClient, TrainingClient

__all__ = ["ReferenceClient"]


class ReferenceClient:
    """Blocking twin of :class:`AsyncReferenceClient`; use it as a context manager."""

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
        self.async_client = AsyncReferenceClient(
            base_url, api_key, user_metadata=user_metadata, project_id=project_id, display_name=display_name,
            clock=clock, retry=retry, holder=holder, http_transport=http_transport, queue_observer=queue_observer,
        )  # fmt: skip
        self._portal = Portal()
        self.rest = RestClient(self._portal, self.async_client.rest)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()  # stops the loop thread; the failed start already released the connections
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close("success" if exc is None else "errored" if isinstance(exc, Exception) else "interrupted")

    def start(self) -> None:
        self._portal.run(self.async_client.start)

    @property
    def session_id(self) -> str:
        return self.async_client.session_id

    @property
    def server_config(self) -> ServerConfig:
        return self.async_client.server_config

    @property
    def heartbeat(self) -> Heartbeat | None:
        return self.async_client.heartbeat

    def create_lora_training_client(
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
    ) -> TrainingClient:
        start = partial(
            self.async_client.create_lora_training_client,
            base_model,
            rank,
            seed=seed,
            train_mlp=train_mlp,
            train_attn=train_attn,
            train_unembed=train_unembed,
            user_metadata=user_metadata,
            optimizer_config=optimizer_config,
        )
        client = self._portal.run(start)
        return TrainingClient(self._portal, client)

    def create_training_client_from_state(
        self,
        tinker_path: str,
        *,
        with_optimizer: bool = False,
        base_model: str | None = None,
        user_metadata: dict[str, Any] | None = None,
        optimizer_config: OptimizerConfig | None = None,
    ) -> TrainingClient:
        start = partial(
            self.async_client.create_training_client_from_state,
            tinker_path,
            with_optimizer=with_optimizer,
            base_model=base_model,
            user_metadata=user_metadata,
            optimizer_config=optimizer_config,
        )
        client = self._portal.run(start)
        return TrainingClient(self._portal, client)

    def create_sampling_client(self, *, model_path: str | None = None, base_model: str | None = None) -> SamplingClient:
        client = self._portal.run(
            lambda: self.async_client.create_sampling_client(model_path=model_path, base_model=base_model)
        )
        return SamplingClient(self._portal, client)

    def abandon(self) -> None:
        """Stop without finishing the session (see :meth:`AsyncReferenceClient.abandon`), then the loop thread."""
        if self._portal.closed:
            return
        try:
            self._portal.run(self.async_client.abandon)
        finally:
            self._portal.close()

    def close(self, reason: FinishReason = "success", detail: str | None = None) -> None:
        """Finish the session, then stop the loop thread; closing twice does nothing."""
        if self._portal.closed:
            return
        try:
            self._portal.run(lambda: self.async_client.close(reason, detail))
        finally:
            self._portal.close()
