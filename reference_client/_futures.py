"""Turning a future's ``request_id`` into its result: the ``retrieve_future`` loop (protocol reference §6.1-§6.4).

Each poll is ``POST /api/v1/retrieve_future {"request_id", "allow_metadata_only"}`` (``true``
until a ``complete_metadata`` answer) with ``X-Tinker-Request-Iteration`` (0, 1, 2…),
``X-Tinker-Request-Type`` and, for forward/backward and sample results, ``Accept:
application/x-protobuf``. The server long-polls, so the loop never sleeps between ordinary polls;
what each answer means is decided by the pure rules of :mod:`._poll_rules`. An observer hears
every queue state a ``try_again`` (or 408) reports, and ``active`` when the future settles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pydantic

from tinker_harness.contracts import FutureRetrieveRequest

from ._errors import APIStatusError, ConnectionFailed, FutureExpired, FuturePollFailed, ProtocolError, RequestFailed
from ._poll_rules import (
    Failed,
    MetadataOnly,
    PollAction,
    QueueObserver,
    QueueStateChange,
    QueueStateName,
    TryAgain,
    classify_answer,
    poll_action,
    queue_state_name,
)
from ._transport import PROTOBUF_CONTENT, Transport, parse_model

__all__ = ["FuturePoller"]

MAX_BAD_REQUEST_RETRIES = 3
M = TypeVar("M", bound=pydantic.BaseModel)


@dataclass
class _PollState:
    """What one future's loop remembers between polls."""

    iteration: int = 0
    allow_metadata_only: bool = True
    backoffs: int = 0  # consecutive 429s / connection errors; any other answer resets it
    bad_requests: int = 0  # 400s since the last 408 with a JSON body


class FuturePoller:
    """Polls futures of one client; ``observer`` hears queue states (§6.4)."""

    def __init__(self, transport: Transport, observer: QueueObserver | None = None) -> None:
        self._transport = transport
        self._observer = observer

    async def wait_json(self, future_id: str, request_type: str, model: type[M]) -> M:
        """Poll until the JSON result is ready and validate it against ``model``."""
        payload, response = await self._wait(future_id, request_type, protobuf=False)
        if isinstance(payload, bytes):
            raise self._protocol_error(response, f"{request_type} result came as protobuf; JSON was expected")
        return parse_model(response, model, session_id=self._transport.session_id)

    async def wait_protobuf(self, future_id: str, request_type: str) -> bytes:
        """Poll until the protobuf result is ready (forward/backward and sample results, §0 item 5)."""
        payload, response = await self._wait(future_id, request_type, protobuf=True)
        if not isinstance(payload, bytes):
            raise self._protocol_error(response, f"{request_type} result came as JSON; only protobuf is accepted")
        return payload

    async def _wait(self, future_id: str, request_type: str, *, protobuf: bool) -> tuple[Any, httpx.Response]:
        state = _PollState()
        while True:
            response = await self._poll_once(future_id, request_type, protobuf, state)
            state.iteration += 1
            if response is None:
                continue  # an error status or connection error that allows another poll
            try:
                answer = classify_answer(response.headers.get("content-type", ""), response.content)
            except ValueError as exc:
                raise self._protocol_error(response, f"unreadable retrieve_future answer: {exc}") from None
            if isinstance(answer, TryAgain):
                if answer.queue_state != "unknown" or answer.reason is not None:
                    self._notify(future_id, request_type, answer.queue_state, answer.reason)
            elif isinstance(answer, MetadataOnly):
                if not state.allow_metadata_only:
                    raise self._protocol_error(response, "complete_metadata answered twice for one future")
                state.allow_metadata_only = False
            else:
                self._notify(future_id, request_type, "active", None)
                if isinstance(answer, Failed):
                    raise self._request_failed(response, future_id, answer)
                return answer.payload, response

    async def _poll_once(
        self, future_id: str, request_type: str, protobuf: bool, state: _PollState
    ) -> httpx.Response | None:
        """One poll; None when an error answer (or no answer) calls for another poll after the proper wait."""
        transport = self._transport
        headers = {"X-Tinker-Request-Type": request_type, "X-Tinker-Request-Iteration": str(state.iteration)}
        if protobuf:
            headers["Accept"] = PROTOBUF_CONTENT
        body = FutureRetrieveRequest(request_id=future_id, allow_metadata_only=state.allow_metadata_only)
        try:
            response = await transport.call("retrieve_future", body=body, headers=headers)
        except ConnectionFailed:
            await self._back_off(state)
            return None
        except APIStatusError as exc:
            await self._after_error_status(exc, future_id, request_type, state)
            return None
        state.backoffs = 0  # any HTTP answer proves the connection is alive
        return response

    async def _back_off(self, state: _PollState) -> None:
        await self._transport.clock.sleep(min(2**state.backoffs, 30))
        state.backoffs += 1

    async def _after_error_status(
        self, exc: APIStatusError, future_id: str, request_type: str, state: _PollState
    ) -> None:
        """Wait as §6.3 says before the next poll, or raise when no further poll may follow."""
        action = poll_action(exc.status or 0)
        if action is PollAction.BACKOFF:
            await self._back_off(state)
            return
        state.backoffs = 0
        if action is PollAction.REPOLL:
            if exc.status == 408:
                self._on_408(exc, future_id, request_type, state)
        elif action is PollAction.REPOLL_IF_BUDGET and state.bad_requests < MAX_BAD_REQUEST_RETRIES:
            state.bad_requests += 1
        elif action is PollAction.BILLING_PAUSE and self._transport.billing.should_pause():
            await self._transport.clock.sleep(self._transport.holder.billing_pause_step)
        else:
            raise self._poll_error(exc, future_id, expired=action is PollAction.EXPIRED) from exc

    def _on_408(self, exc: APIStatusError, future_id: str, request_type: str, state: _PollState) -> None:
        """408 is a try_again in disguise: report its queue state; a JSON body resets the 400 budget."""
        if not isinstance(exc.body, dict):
            return
        state.bad_requests = 0
        if exc.body.get("queue_state"):
            state_name = queue_state_name(exc.body["queue_state"])
            self._notify(future_id, request_type, state_name, exc.body.get("queue_state_reason"))

    def _notify(self, future_id: str, request_type: str, state: QueueStateName, reason: str | None) -> None:
        if self._observer is not None:
            self._observer(QueueStateChange(future_id, request_type, state, reason))

    def _context(self, response: httpx.Response) -> dict[str, Any]:
        return {
            "method": response.request.method,
            "path": response.request.url.path,
            "status": response.status_code,
            "request_id": response.headers.get("x-request-id"),
            "session_id": self._transport.session_id,
        }

    def _protocol_error(self, response: httpx.Response, message: str) -> ProtocolError:
        return ProtocolError(message, **self._context(response))

    def _request_failed(self, response: httpx.Response, future_id: str, failed: Failed) -> RequestFailed:
        message = f"request {future_id} failed ({failed.category}): {failed.error}"
        context = self._context(response)
        return RequestFailed(message, error=failed.error, category=failed.category, future_id=future_id, **context)

    def _poll_error(self, exc: APIStatusError, future_id: str, *, expired: bool) -> FuturePollFailed | FutureExpired:
        context = {"method": exc.method, "path": exc.path, "status": exc.status, "request_id": exc.request_id}
        if expired:
            return FutureExpired(
                f"the promise of request {future_id} expired; submit it again",
                future_id=future_id,
                session_id=exc.session_id,
                **context,
            )
        return FuturePollFailed(
            f"polling request {future_id} failed: {exc.message}",
            future_id=future_id,
            session_id=exc.session_id,
            **context,
        )
