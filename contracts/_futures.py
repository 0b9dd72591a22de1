"""Futures: submission handles, polling and the non-result answers of retrieve_future.

Implements protocol reference §5 rows 20-22 and §6.
Every future-returning endpoint answers with an ``UntypedAPIFuture``; ``/api/v1/retrieve_future``
then answers with a result model, a ``TryAgainResponse``, a ``CompleteMetadataResponse`` or a
``RequestFailedResponse``. The SDK dispatches on keys (``type == "try_again"``, ``status ==
"complete_metadata"``, ``"error" in body``; §6.2), not by validating a union.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from ._base import RequestModel, ResponseModel

__all__ = [
    "CancelFutureRequest",
    "CompleteMetadataResponse",
    "FutureCompletion",
    "FutureFailed",
    "FutureFinished",
    "FutureRetrieveRequest",
    "FuturesRetrieveRequest",
    "FuturesRetrieveResponse",
    "QueueState",
    "RequestErrorCategory",
    "RequestFailedResponse",
    "SamplingSessionFuturesTarget",
    "TryAgainResponse",
    "UntypedAPIFuture",
]

QueueState: TypeAlias = Literal["active", "paused_rate_limit", "paused_capacity"]
"""Queue state reported while a request waits (§6.4); other strings read as "unknown"."""

RequestErrorCategory: TypeAlias = Literal["unknown", "server", "user"]
"""Failure category of a request, lower-case on the wire (§6.2, §15.2)."""


class UntypedAPIFuture(ResponseModel):
    """Immediate response of every future-returning endpoint (§5 "Fut"); sample futures carry sequence ids."""

    request_id: str
    model_id: str | None = None
    sample_sequence_ids: list[str] | None = None


class FutureRetrieveRequest(RequestModel):
    """Body of POST /api/v1/retrieve_future (§5 row 20, §6.1)."""

    request_id: str
    allow_metadata_only: bool = False


class TryAgainResponse(ResponseModel):
    """retrieve_future answer while the request is pending (§6.2 step 2); the SDK re-polls at once."""

    type: Literal["try_again"] = "try_again"
    request_id: str
    queue_state: QueueState | None = None
    queue_state_reason: str | None = None


class CompleteMetadataResponse(ResponseModel):
    """retrieve_future answer when only the payload size is sent (``allow_metadata_only``; §6.2 step 3)."""

    status: Literal["complete_metadata"] = "complete_metadata"
    response_payload_size: int


class RequestFailedResponse(ResponseModel):
    """retrieve_future answer for a failed request (§6.2 step 4)."""

    error: str
    category: RequestErrorCategory


class SamplingSessionFuturesTarget(RequestModel):
    """``target`` of POST /api/v1/retrieve_futures: one (possibly cloned) sampling session (§6.5)."""

    type: Literal["sampling_session"] = "sampling_session"
    sampling_session_id: str
    cloned_sampler_id: int = 0


class FuturesRetrieveRequest(RequestModel):
    """Body of POST /api/v1/retrieve_futures (§5 row 21, §6.5); ``timeout: 0`` is an ack-only poll."""

    target: SamplingSessionFuturesTarget
    prev_cursor: int = 0
    timeout: float | None = None
    retrieved_request_ids: list[str] = []


class FutureFinished(ResponseModel):
    """A finished request in a retrieve_futures response (§6.5)."""

    state: Literal["finished"] = "finished"
    request_id: str
    response_payload_uncompressed_size: int | None = None


class FutureFailed(ResponseModel):
    """A failed request in a retrieve_futures response (§6.5)."""

    state: Literal["failed"] = "failed"
    request_id: str


FutureCompletion: TypeAlias = Annotated[FutureFinished | FutureFailed, Field(discriminator="state")]
"""One completion of a retrieve_futures response, dispatched on ``state``."""


class FuturesRetrieveResponse(ResponseModel):
    """Response of POST /api/v1/retrieve_futures (§6.5); ``cursor`` is the next ``prev_cursor``."""

    completions: list[FutureCompletion]
    cursor: int


class CancelFutureRequest(RequestModel):
    """Body of POST /api/v1/cancel_future (§5 row 22, §9.4)."""

    request_id: str
