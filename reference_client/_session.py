"""Bootstrap and the session lifecycle (protocol reference §4.1-§4.4, §12).

The order is fixed: ``/client/config`` (the server's flags; in JWT mode the key is then exchanged
once at ``/auth/token`` — no refresh, so JWT sessions must stay under the token's lifetime),
``/client/dynamic_config`` (404 means defaults), ``/create_session``, then a heartbeat task that
sleeps 10 s *before* each ``/session_heartbeat``, stops for good on 410 and swallows every other
failure (a warning after 120 s without success). ``/sessions/{id}/finish`` ends the session with
``{"reason": {"type": "success"|"errored"|"interrupted"}, "detail": …}``.

:class:`SessionContext` is what the training and sampling clients of one session share: the
transport, the future poller, the server's flags and the per-session counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tinker_harness.contracts import (
    AuthTokenRequest,
    AuthTokenResponse,
    ClientConfigRequest,
    ClientConfigResponse,
    ClientDynamicConfigResponse,
    ClientSessionFinishReasonType,
    CreateSessionRequest,
    CreateSessionResponse,
    SessionFinishReason,
    SessionFinishRequest,
    SessionHeartbeatRequest,
)

from ._config import SDK_VERSION
from ._errors import Gone, NotFound, ReferenceClientError
from ._futures import FuturePoller
from ._results import ServerConfig
from ._transport import Transport

__all__ = [
    "HEARTBEAT_TASK_NAME",
    "Heartbeat",
    "SessionContext",
    "fetch_server_config",
    "finish_session",
    "open_session",
]

logger = logging.getLogger("reference_client")
T = TypeVar("T")

HEARTBEAT_INTERVAL = 10.0
HEARTBEAT_WARNING_AFTER = 120.0
HEARTBEAT_TASK_NAME = "reference-client-heartbeat"


async def fetch_server_config(transport: Transport) -> ServerConfig:
    """``/client/config``, the JWT exchange when the server asks for it, then ``/client/dynamic_config``."""
    request = ClientConfigRequest(sdk_version=SDK_VERSION)
    client = transport.parse(await transport.call("client_config", body=request), ClientConfigResponse)
    transport.billing.max_pause = client.billing_exception_max_pause_duration_sec
    if client.pjwt_auth_enabled:
        answer = await transport.call("auth_token", body=AuthTokenRequest())
        transport.credential = transport.parse(answer, AuthTokenResponse).jwt
    try:
        answer = await transport.call("client_dynamic_config", body=request)
        dynamic = transport.parse(answer, ClientDynamicConfigResponse)
    except NotFound:
        dynamic = ClientDynamicConfigResponse()
    return ServerConfig(client, dynamic)


async def open_session(
    transport: Transport, *, user_metadata: dict[str, Any] | None = None, display_name: str | None = None
) -> str:
    """``/create_session``; the session id is then stamped on every error the transport raises."""
    request = CreateSessionRequest(
        tags=list(transport.settings.tags),
        user_metadata=user_metadata or {},
        sdk_version=SDK_VERSION,
        project_id=transport.settings.project_id,
        display_name=display_name,
    )
    answer = transport.parse(await transport.call("create_session", body=request), CreateSessionResponse)
    for level, message in (
        (logging.INFO, answer.info_message),
        (logging.WARNING, answer.warning_message),
        (logging.ERROR, answer.error_message),
    ):
        if message:
            logger.log(level, "create_session: %s", message)
    transport.session_id = answer.session_id
    return answer.session_id


async def finish_session(
    transport: Transport, session_id: str, reason: ClientSessionFinishReasonType, detail: str | None = None
) -> None:
    """``POST /sessions/{id}/finish``; the answer body is ignored, as the SDK does."""
    body = SessionFinishRequest(reason=SessionFinishReason(type=reason), detail=detail)
    await transport.call("finish_session", path_params={"session_id": session_id}, body=body)


class Heartbeat:
    """The background keep-alive of one session (§4.3); never raises into the client."""

    def __init__(self, transport: Transport, session_id: str, interval: float = HEARTBEAT_INTERVAL) -> None:
        self._transport = transport
        self._session_id = session_id
        self.interval = interval
        self.beats = 0  # successful heartbeats
        self.failures = 0  # swallowed failures
        self.stopped_by_server = False  # a 410 ended the loop
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        # A fresh context: heartbeats are background traffic and must not inherit an x-sdk-method.
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._run(), name=HEARTBEAT_TASK_NAME, context=contextvars.Context())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        clock = self._transport.clock
        last_success = clock.now()
        body = SessionHeartbeatRequest(session_id=self._session_id)
        while True:
            await clock.sleep(self.interval)
            try:
                await self._transport.call("session_heartbeat", body=body)
            except Gone:
                logger.info("session %s has finished; stopping its heartbeat", self._session_id)
                self.stopped_by_server = True
                return
            except ReferenceClientError as exc:
                self.failures += 1
                if clock.now() - last_success > HEARTBEAT_WARNING_AFTER:
                    logger.warning(
                        "no successful heartbeat for session %s since %.0f s: %s",
                        self._session_id,
                        clock.now() - last_success,
                        exc,
                    )
                continue
            self.beats += 1
            last_success = clock.now()


@dataclass
class SessionContext:
    """What every training and sampling client of one session shares."""

    transport: Transport
    poller: FuturePoller
    session_id: str
    config: ServerConfig
    # Until when (clock time) new samples wait after a 429 on /asample; shared by all samplers (§9.3).
    sample_backoff_until: float | None = None
    _model_seq_ids: itertools.count[int] = field(default_factory=itertools.count)
    _sampling_seq_ids: itertools.count[int] = field(default_factory=itertools.count)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def next_model_seq_id(self) -> int:
        """``model_seq_id`` of the next training client (create_model or create-via-load), from 0."""
        return next(self._model_seq_ids)

    def next_sampling_session_seq_id(self) -> int:
        """``sampling_session_seq_id`` of the next sampler (created or snapshotted), from 0."""
        return next(self._sampling_seq_ids)

    def spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Start an operation now (so polling begins even if nobody awaits it) and keep it referenced."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def cancel_pending(self) -> None:
        """Cancel operations still running (on close), and wait for them to unwind."""
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
