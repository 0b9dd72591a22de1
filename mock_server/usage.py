"""Usage accounting behind the billing endpoints (protocol reference §5 rows 43-44, §10 AdminClient).

Usage is derived from the work the server really did, never from the journal. Training tokens come
from forward/forward_backward results (one per target token: the length of each datum's
``logprobs`` output), sampled tokens from sample results, prefill tokens from the prompt length
(``record.extra["prompt_tokens"]`` when the sampling handler sets it, else the length of the
returned prompt logprobs). :func:`record_completed` is the hook for the code that settles futures;
:func:`sync_from_futures` derives the same events lazily from the futures still in state. Each
future is counted once, whichever path sees it first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tinker_harness.mock_server.futures import FutureRecord, FutureState

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["UsageEvent", "UsageKind", "UsageLedger", "record_completed", "record_usage", "sync_from_futures"]

UsageKind = Literal["training", "sampling_prefill", "sampling_sample"]
_TRAINING_TYPES = frozenset({"Forward", "ForwardBackward"})
_SAMPLING_TYPES = frozenset({"Sample"})


@dataclass(frozen=True)
class UsageEvent:
    """Tokens of one kind consumed by one request, at a server-clock instant."""

    at: float
    owner: str
    kind: UsageKind
    tokens: int
    session_id: str | None = None
    base_model: str | None = None
    project_id: str | None = None
    cached: bool = False
    request_id: str | None = None


class UsageLedger:
    """All usage events of the server (thread-safe; futures settle on worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[UsageEvent] = []
        self._counted: set[str] = set()

    def add(self, event: UsageEvent) -> None:
        with self._lock:
            self._events.append(event)

    def claim(self, request_id: str) -> bool:
        """True the first time ``request_id`` is claimed: its usage is then recorded by the claimant."""
        with self._lock:
            if request_id in self._counted:
                return False
            self._counted.add(request_id)
            return True

    def events(self, owner: str) -> list[UsageEvent]:
        with self._lock:
            return [e for e in self._events if e.owner == owner]


def record_usage(server: MockServer, event: UsageEvent) -> None:
    """Record one usage event (for code that knows its token counts directly)."""
    if event.tokens > 0:
        server.state.usage.add(event)


def _length(tensor: Any) -> int:
    if not isinstance(tensor, dict):
        return 0
    shape = tensor.get("shape")
    if isinstance(shape, list) and shape and all(isinstance(n, int) for n in shape):
        count = 1
        for n in shape:
            count *= n
        return count
    data = tensor.get("data")
    return len(data) if isinstance(data, list) else 0


def _training_tokens(body: dict[str, Any]) -> int:
    outputs = body.get("loss_fn_outputs")
    if not isinstance(outputs, list):
        return 0
    return sum(_length(o.get("logprobs")) for o in outputs if isinstance(o, dict))


def _sampling_tokens(record: FutureRecord, body: dict[str, Any]) -> tuple[int, int]:
    sequences = body.get("sequences")
    sampled = (
        sum(len(s.get("tokens") or []) for s in sequences if isinstance(s, dict)) if isinstance(sequences, list) else 0
    )
    prompt = record.extra.get("prompt_tokens")
    if not isinstance(prompt, int):
        prompt_logprobs = body.get("prompt_logprobs")
        prompt = len(prompt_logprobs) if isinstance(prompt_logprobs, list) else 0
    return prompt, sampled


def record_completed(server: MockServer, record: FutureRecord) -> None:
    """Record the usage of a completed future (idempotent per request id)."""
    if record.state is not FutureState.COMPLETE or record.result is None:
        return
    if record.request_type not in _TRAINING_TYPES | _SAMPLING_TYPES:
        return
    if not server.state.usage.claim(record.request_id):
        return
    state = server.state
    session = state.sessions.get(record.session_id) if record.session_id else None
    run = state.runs.get(record.model_id) if record.model_id else None
    base_model = run.base_model if run is not None else record.extra.get("base_model")
    common: dict[str, Any] = {
        "at": record.completed_at if record.completed_at is not None else record.created_at,
        "owner": record.owner,
        "session_id": record.session_id,
        "base_model": base_model if isinstance(base_model, str) else None,
        "project_id": session.project_id if session is not None else None,
        "request_id": record.request_id,
    }
    body = record.result.json_body
    if record.request_type in _TRAINING_TYPES:
        record_usage(server, UsageEvent(kind="training", tokens=_training_tokens(body), **common))
        return
    prompt, sampled = _sampling_tokens(record, body)
    record_usage(server, UsageEvent(kind="sampling_prefill", tokens=prompt, **common))
    record_usage(server, UsageEvent(kind="sampling_sample", tokens=sampled, **common))


def sync_from_futures(server: MockServer) -> None:
    """Record the usage of every completed future not counted yet (lazy derivation from state)."""
    for record in server.state.futures:
        if record.state is FutureState.COMPLETE:
            record_completed(server, record)
