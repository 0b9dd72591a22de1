"""One side of a scenario as calls: operations, logical requests with their retries, and futures with their polls.

* operation — the endpoint, refined where one endpoint carries two operations: a forward-only
  ``forward_backward`` is ``forward_backward(forward_only)``, and a poll is
  ``retrieve_future(<operation that created the future>)`` (§6);
* logical request — the attempts of one request: an attempt after a failed one (error status,
  broken answer, or a future that failed or expired, §3, §6.3) of the same operation joins it when
  it carries the same idempotency key or nearly the same body (at most two values changed);
* future — every poll of one future id (the raw request id, never the normalised body), in time
  order, with what each poll answered (§6.2).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tinker_harness.contracts.traits import endpoints_with

from .journal import NormEntry

__all__ = ["BACKGROUND", "POLL", "Calls", "Future", "Request", "canon", "leaf_map", "leaves", "operation", "subtree"]

POLL = "retrieve_future"
BACKGROUND = endpoints_with("scheduled")
_NEAR = 2  # values that may change between two attempts of one logical request


def canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Key paths and leaf values of a body; lists of objects become ``key[]``, empty containers are leaves."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from leaves(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for inner in value:
            yield from leaves(inner, f"{prefix}[]")
    elif prefix:
        yield prefix, value


def subtree(body: Any, path: str) -> Any:
    """The value at a key path of :func:`leaves` (``a.b[].c``; ``[]`` takes the first element)."""
    value = body
    for part in path.replace("[]", ".[]").split("."):
        if part == "[]":
            value = value[0] if isinstance(value, list) and value else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def leaf_map(body: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in leaves(body):
        out.setdefault(key, canon(value))
    return out


def operation(entry: NormEntry) -> str:
    if entry.endpoint == "forward_backward" and entry.forward_only:
        return "forward_backward(forward_only)"
    return entry.endpoint


@dataclass
class Request:
    """One logical request: its attempts in time order."""

    op: str
    attempts: list[NormEntry]

    @property
    def first(self) -> NormEntry:
        return self.attempts[0]


@dataclass
class Future:
    """The polls of one future, with the operation that created it."""

    op: str  # "retrieve_future(optim_step)"
    origin: NormEntry | None  # the request that created it
    polls: list[NormEntry] = field(default_factory=list)

    @property
    def outcomes(self) -> list[str]:
        return [p.outcome for p in self.polls]

    @property
    def started(self) -> float:
        return self.origin.timestamp if self.origin is not None else self.polls[0].timestamp


def _near(a: NormEntry, b: NormEntry) -> bool:
    if a.idempotency_key and a.idempotency_key == b.idempotency_key:
        return True
    la, lb = leaf_map(a.body), leaf_map(b.body)
    if set(la) != set(lb):
        return False
    return sum(1 for k in la if la[k] != lb[k]) <= _NEAR


class Calls:
    """The calls of one side of one scenario; ``rename`` maps this side's operations to the other side's."""

    def __init__(self, entries: list[NormEntry], rename: dict[str, str] | None = None) -> None:
        self.entries = sorted(entries, key=lambda e: (e.timestamp, e.line))
        self.rename = rename or {}
        creators: dict[str, NormEntry] = {}
        for entry in self.entries:
            if entry.future and entry.endpoint != POLL:
                creators.setdefault(entry.future, entry)
        self.futures: list[Future] = []
        by_id: dict[str, Future] = {}
        self.ops: dict[str, list[NormEntry]] = {}
        for entry in self.entries:
            op = self.op_of(entry, creators)
            self.ops.setdefault(op, []).append(entry)
            if entry.endpoint == POLL and entry.future:
                if entry.future not in by_id:
                    by_id[entry.future] = Future(op, creators.get(entry.future))
                    self.futures.append(by_id[entry.future])
                by_id[entry.future].polls.append(entry)
        self.futures.sort(key=lambda f: f.started)
        self.requests = self._requests(by_id)

    def op_of(self, entry: NormEntry, creators: dict[str, NormEntry]) -> str:
        if entry.endpoint == POLL:
            creator = creators.get(entry.future or "")
            origin = self.op_of(creator, creators) if creator is not None else (entry.request_type or "?")
            return f"{POLL}({origin})"
        op = operation(entry)
        return self.rename.get(op, op)

    def _requests(self, futures: dict[str, Future]) -> dict[str, list[Request]]:
        out: dict[str, list[Request]] = {}
        for op, entries in self.ops.items():
            if op.startswith(POLL) or op in BACKGROUND:
                continue
            requests: list[Request] = []
            for entry in entries:
                last = requests[-1].attempts[-1] if requests else None
                if last is not None and self._gave_up(last, futures) and _near(last, entry):
                    requests[-1].attempts.append(entry)
                else:
                    requests.append(Request(op, [entry]))
            out[op] = requests
        return out

    @staticmethod
    def _gave_up(entry: NormEntry, futures: dict[str, Future]) -> bool:
        """The attempt failed, or its future did (so the client may submit it again)."""
        if entry.failed:
            return True
        future = futures.get(entry.future or "")
        return future is not None and bool(future.polls) and future.polls[-1].outcome not in ("done", "pending")

    def trigger(self, entry: NormEntry) -> str:
        """What made the client try ``entry``'s request again: its status, a fault, or its future's end."""
        if entry.failed:
            label = "fault" if entry.outcome == "fault" else entry.outcome
            return f"{label} x-should-retry:{entry.should_retry}" if entry.should_retry else label
        future = next((f for f in self.futures if f.origin is entry), None)
        if future is not None and future.polls:
            return f"future {future.polls[-1].outcome}"
        return entry.outcome
