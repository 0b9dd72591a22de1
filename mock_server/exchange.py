"""One exchange as the server handles it: a typed record from arrival to the journal.

The journal middleware (:mod:`mock_server.observer`) creates an :class:`ExchangeRecord` when a
request arrives and puts it in the ASGI scope; the dispatcher (:mod:`mock_server.app`) fills in
what it learns while serving: the catalogue endpoint (matched once per request), the session, the
polled future, the fault that fired, notes for the journal. The middleware adds the raw bytes and
headers that crossed the socket, and the journal keeps the record until someone reads it
(:mod:`mock_server.journal`), when it is decoded, checked and redacted
(:mod:`mock_server.journal_entry`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.types import Scope

from tinker_harness.contracts.catalogue import Endpoint

if TYPE_CHECKING:
    from tinker_harness.mock_server.faults.engine import Decision

__all__ = ["EXCHANGE_KEY", "ExchangeRecord", "exchange_of"]

EXCHANGE_KEY = "tinker_harness_exchange"
Headers = list[tuple[bytes, bytes]]


@dataclass(slots=True, eq=False)
class ExchangeRecord:
    """Everything the journal needs of one exchange, as raw as it came."""

    method: str
    path: str
    query: str
    request_headers: Headers
    timestamp: float  # server clock at arrival
    started: float  # perf_counter at arrival
    # What the dispatcher learns while serving.
    endpoint: Endpoint | None = None
    session_id: str | None = None
    future_request_id: str | None = None
    future_origin: str | None = None  # the endpoint that created the polled future
    fault: str | None = None  # the fault rule that fired, described
    fault_changes_answer: bool = False  # the answer is not the handler's: contract checks do not apply
    fault_decision: Decision | None = None  # a poll-level fault the handler still has to act on
    route: str | None = None  # the harness route serving a non-catalogue path
    notes: dict[str, Any] = field(default_factory=dict)
    # What crossed the socket, filled in by the middleware.
    request_body: bytes = b""
    status: int = 0
    response_headers: Headers = field(default_factory=list)
    response_body: bytes = b""
    duration_ms: float = 0.0

    def simulated(self, description: str) -> None:
        """Name a deliberately configured answer (a fault, an archive still being prepared)."""
        self.fault = description
        self.fault_changes_answer = True


def exchange_of(scope: Scope) -> ExchangeRecord | None:
    """The record of the exchange this scope belongs to (None outside the journal middleware)."""
    record = scope.get("state", {}).get(EXCHANGE_KEY)
    return record if isinstance(record, ExchangeRecord) else None
