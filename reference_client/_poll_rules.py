"""The rules of the ``retrieve_future`` loop as pure functions (protocol reference §6.2-§6.4).

The easiest part of the protocol to get subtly wrong, so it is kept apart from the loop
(:mod:`._futures`) and tested on its own:

* :func:`classify_answer` reads a 2xx answer, in the SDK's order of checks: protobuf bytes or a
  JSON result (``Ready``), ``try_again`` (``TryAgain``: report the queue state, re-poll at once),
  ``complete_metadata`` (``MetadataOnly``: re-poll with ``allow_metadata_only: false``), and
  ``{"error", "category"}`` (``Failed``; a category other than ``unknown|server|user`` reads as
  ``unknown``).
* :func:`poll_action` reads an error status: 408 and 5xx re-poll at once (408's JSON body may
  carry a queue state), 429 — like a connection error — backs off ``min(2**n, 30)`` s, 400 re-polls
  up to 3 times, 402 pauses 5 s while the billing incident lasts, 410 means the promise expired,
  and anything else (409 included, unlike §3) is fatal.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tinker_harness.contracts import RequestErrorCategory

from ._transport import PROTOBUF_CONTENT

__all__ = [
    "Answer",
    "Failed",
    "MetadataOnly",
    "PollAction",
    "QueueObserver",
    "QueueStateChange",
    "QueueStateName",
    "Ready",
    "TryAgain",
    "classify_answer",
    "poll_action",
    "queue_state_name",
]

QueueStateName = Literal["active", "paused_rate_limit", "paused_capacity", "unknown"]
_QUEUE_STATES: dict[str, QueueStateName] = {"active": "active", "paused_rate_limit": "paused_rate_limit",
                                            "paused_capacity": "paused_capacity"}  # fmt: skip
_CATEGORIES: dict[str, RequestErrorCategory] = {"unknown": "unknown", "server": "server", "user": "user"}


@dataclass(frozen=True)
class QueueStateChange:
    """What an observer is told: a waiting request's queue state, or ``active`` when it settles."""

    future_id: str
    request_type: str
    queue_state: QueueStateName
    reason: str | None


QueueObserver = Callable[[QueueStateChange], None]


def queue_state_name(value: object) -> QueueStateName:
    """A queue state off the wire; anything else (or nothing) reads as ``unknown`` (§6.2 item 2)."""
    return _QUEUE_STATES.get(value, "unknown") if isinstance(value, str) else "unknown"


def _category(value: object) -> RequestErrorCategory:
    return _CATEGORIES.get(value, "unknown") if isinstance(value, str) else "unknown"


@dataclass(frozen=True)
class Ready:
    """The result: protobuf bytes, or the JSON object to validate against the expected model."""

    payload: bytes | dict[str, Any]


@dataclass(frozen=True)
class TryAgain:
    """Still pending when the long-poll ended; re-poll at once."""

    queue_state: QueueStateName
    reason: str | None


@dataclass(frozen=True)
class MetadataOnly:
    """Done, but only the payload size was sent; re-poll with ``allow_metadata_only: false``."""

    payload_size: int


@dataclass(frozen=True)
class Failed:
    """The request ran and failed."""

    error: str
    category: RequestErrorCategory


Answer = Ready | TryAgain | MetadataOnly | Failed


def classify_answer(content_type: str, body: bytes) -> Answer:
    """What a 2xx ``retrieve_future`` answer means, in the SDK's order of checks (§6.2)."""
    if PROTOBUF_CONTENT in content_type:
        return Ready(body)
    parsed = json.loads(body)
    if not isinstance(parsed, dict):
        raise ValueError("a retrieve_future answer must be a JSON object")
    if parsed.get("type") == "try_again":
        return TryAgain(queue_state_name(parsed.get("queue_state")), parsed.get("queue_state_reason"))
    if parsed.get("status") == "complete_metadata":
        return MetadataOnly(int(parsed.get("response_payload_size") or 0))
    if "error" in parsed:
        return Failed(str(parsed["error"]), _category(parsed.get("category")))
    return Ready(parsed)


class PollAction(enum.Enum):
    """What the loop does after an error status."""

    REPOLL = "repoll"  # 408, 5xx: poll again at once
    BACKOFF = "backoff"  # 429 (and connection errors): sleep min(2**n, 30) first
    REPOLL_IF_BUDGET = "repoll-if-budget"  # 400: at most 3 times in a row
    BILLING_PAUSE = "billing-pause"  # 402: sleep 5 s while the billing incident is young enough
    EXPIRED = "expired"  # 410: the promise is gone
    FATAL = "fatal"  # anything else


def poll_action(status: int) -> PollAction:
    """What an error status on ``retrieve_future`` means (§6.3)."""
    if status == 408 or 500 <= status < 600:
        return PollAction.REPOLL
    return {
        429: PollAction.BACKOFF,
        400: PollAction.REPOLL_IF_BUDGET,
        402: PollAction.BILLING_PAUSE,
        410: PollAction.EXPIRED,
    }.get(status, PollAction.FATAL)
