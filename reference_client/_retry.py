"""The retry layers and which endpoint uses which (protocol reference §3.1, §3.2, §5 "Retries", §15.3).

Two layers stack, as in the SDK:

* the **transport layer** (the SDK's "Stainless" loop) re-sends one HTTP request up to
  ``max_retries`` times (default 10) on connection errors and on 408/409/429/5xx (or whatever
  ``x-should-retry`` says), waiting ``Retry-After`` when the server sends 0 < v <= 60 s, else
  ``min(0.5 * 2**n, 10) * (1 - 0.25 * random())``. One ``X-Idempotency-Key`` covers all attempts.
* the **holder layer** re-runs the whole call (a new idempotency key) on connection errors and
  408/409/429/5xx for up to 300 s, waiting ``min(2**n, 30)`` s, and pauses 5 s at a time on 402
  while the billing incident is younger than the server's ``billing_exception_max_pause_duration_sec``.

:data:`CALL_POLICIES` says, per catalogue endpoint, how many transport retries, which timeout and
whether the holder layer applies. Nothing here sleeps: the caller sleeps through its :class:`Clock`.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from ._clock import Clock

__all__ = [
    "CALL_POLICIES",
    "BillingPause",
    "CallPolicy",
    "HolderPolicy",
    "RetryPolicy",
    "call_policy",
    "holder_retryable_status",
    "retry_after_seconds",
    "should_retry",
]


def retry_after_seconds(headers: httpx.Headers, wall_time: Callable[[], float] = time.time) -> float | None:
    """The wait the server asks for: ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers.get(name, "")) / scale
        except ValueError:
            pass
    parsed = email.utils.parsedate_tz(headers.get("retry-after", ""))
    return None if parsed is None else float(email.utils.mktime_tz(parsed) - wall_time())


def should_retry(response: httpx.Response) -> bool:
    """Transport-layer decision for an error answer: ``x-should-retry`` wins, else 408/409/429/5xx."""
    hint: str | None = response.headers.get("x-should-retry")
    if hint in ("true", "false"):
        return hint == "true"
    return response.status_code in (408, 409, 429) or response.status_code >= 500


def holder_retryable_status(status: int) -> bool:
    """Holder-layer decision for an error answer (§3.2): 408, 409, 429 and 5xx."""
    return status in (408, 409, 429) or 500 <= status < 600


@dataclass(frozen=True)
class RetryPolicy:
    """Transport-layer retries (§3.1). ``random`` is injectable so tests get exact delays."""

    max_retries: int = 10
    initial_delay: float = 0.5
    max_delay: float = 10.0
    jitter: float = 0.25
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, retries_taken: int, headers: httpx.Headers | None = None) -> float:
        """Seconds to wait before attempt ``retries_taken + 1``."""
        hinted = retry_after_seconds(headers) if headers is not None else None
        if hinted is not None and 0 < hinted <= 60:
            return hinted
        backoff = min(self.initial_delay * 2.0 ** min(retries_taken, 1000), self.max_delay)
        return max(backoff * (1 - self.jitter * self.random()), 0.0)


@dataclass(frozen=True)
class HolderPolicy:
    """Holder-layer retries (§3.2): exponential backoff inside a fixed window, plus 402 pauses."""

    window: float = 300.0
    max_backoff: float = 30.0
    billing_pause_step: float = 5.0

    def backoff(self, attempt: int) -> float:
        return min(2.0**attempt, self.max_backoff)


class BillingPause:
    """One billing incident (402s) of a client: pause while it is younger than ``max_pause`` seconds.

    An incident ends after ``reset_after`` seconds without a 402 (§3.2).
    """

    def __init__(self, clock: Clock, max_pause: float = 3600.0, reset_after: float = 300.0) -> None:
        self._clock = clock
        self.max_pause = max_pause
        self.reset_after = reset_after
        self._first: float | None = None
        self._last: float | None = None

    def should_pause(self) -> bool:
        """Record a 402 now; True while the incident is still within ``max_pause``."""
        now = self._clock.now()
        if self._last is not None and now - self._last > self.reset_after:
            self._first = None
        self._last = now
        if self._first is None:
            self._first = now
        return now - self._first <= self.max_pause


@dataclass(frozen=True)
class CallPolicy:
    """How one endpoint is called: transport retries (None = the policy default), timeout, holder layer."""

    max_retries: int | None = None
    timeout: float | None = None
    holder_retries: bool = True


_DIRECT = CallPolicy(holder_retries=False)
_NO_TRANSPORT_RETRIES = CallPolicy(max_retries=0)

CALL_POLICIES: Mapping[str, CallPolicy] = {
    "client_config": CallPolicy(),
    "client_dynamic_config": CallPolicy(max_retries=0, timeout=10.0),
    "create_session": _DIRECT,
    "session_heartbeat": CallPolicy(max_retries=0, timeout=10.0, holder_retries=False),
    "auth_token": _DIRECT,
    "create_model": _DIRECT,
    "create_sampling_session": _DIRECT,
    "save_weights": _NO_TRANSPORT_RETRIES,
    "save_weights_for_sampler": _NO_TRANSPORT_RETRIES,
    "save_weights_external": _NO_TRANSPORT_RETRIES,
    # The sampling client runs the holder layer itself, around its 429-backpressure handling (§9.3).
    "asample": CallPolicy(max_retries=0),
    # Polls have their own state machine (§6.3); no layer retries them.
    "retrieve_future": CallPolicy(max_retries=0, timeout=45.0, holder_retries=False),
}
"""Endpoints that differ from the default (10 transport retries, 60 s, holder layer on) — §5 table."""


def call_policy(endpoint_name: str) -> CallPolicy:
    """The policy of a catalogue endpoint; REST and training endpoints take the default."""
    return CALL_POLICIES.get(endpoint_name, CallPolicy())
