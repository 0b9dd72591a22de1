"""Retries and polls compared (§3, §6): attempts after each answer, waits, retry-after, what changes between tries.

Pairs logical requests (and futures) of one operation in order. Where the server answered the two
clients differently (a fault or a timing the scenario does not pin), there is no client behaviour to
compare and nothing is reported; runs of ``pending`` polls are folded for the same reason.
"""

from __future__ import annotations

from tinker_harness.reports.findings import Severity

from .calls import POLL, Calls, Future, Request, leaf_map
from .journal import NormEntry
from .observation import Observation, close, evidence, status_class

__all__ = ["RetryDiff"]


class RetryDiff:
    """Mixed into the scenario diff: needs ``py``, ``port`` (:class:`Calls`), ``out`` and ``add``."""

    py: Calls
    port: Calls
    out: list[Observation]

    def add(self, obs: Observation) -> None:
        self.out.append(obs)

    def _count(self, op: str, py: list[Request], port: list[Request]) -> None:
        self.add(
            Observation(
                "call-count",
                Severity.MEDIUM,
                f"{op}#requests",
                f"{op}: a different number of requests from the port than from the SDK",
                "Make the same requests as the SDK (each step of the scenario is one request).",
                evidence(py[0].first, f"{len(py)} request(s)"),
                evidence(port[0].first, f"{len(port)} request(s)"),
                {op},
            )
        )

    def _retries(self, op: str, py: list[Request], port: list[Request]) -> None:
        for x, y in zip(py, port, strict=False):
            if len(x.attempts) == 1 and len(y.attempts) == 1:
                continue
            self._attempts(op, x, y)
            self._changes(op, x, y)

    def _attempts(self, op: str, x: Request, y: Request) -> None:
        a, b = x.attempts, y.attempts
        ta, tb = [self.py.trigger(e) for e in a], [self.port.trigger(e) for e in b]
        same = next((i for i, (p, q) in enumerate(zip(ta, tb, strict=False)) if p != q), min(len(a), len(b)))
        for i in range(same - 1):
            if self._wait(op, a[i], a[i + 1], b[i], b[i + 1], ta[i]):
                break
        if same < min(len(a), len(b)) or len(a) == len(b):
            return  # equal, or the server answered the two clients differently: not a client behaviour
        stops = len(b) < len(a)
        after = tb[-1] if stops else ta[-1]
        self.add(
            Observation(
                "retry-count",
                Severity.MEDIUM,
                f"{op}#after-{status_class(after)}",
                f"{op}: after {after} the port "
                + ("gives up; the SDK tries again" if stops else "tries again; the SDK gives up"),
                "Follow the SDK's retry policy for this answer (§3, §15 of the protocol reference).",
                evidence(a[0], f"{len(a)} attempt(s): " + ", ".join(ta)),
                evidence(b[0], f"{len(b)} attempt(s): " + ", ".join(tb)),
                {op},
            )
        )

    def _wait(self, op: str, a0: NormEntry, a1: NormEntry, b0: NormEntry, b1: NormEntry, after: str) -> bool:
        """Compare the wait before the next attempt (or poll); True when a difference was recorded."""
        ga, gb = round(a1.timestamp - a0.timestamp, 3), round(b1.timestamp - b0.timestamp, 3)
        cls = status_class(after)
        what = f"a poll answered {after}" if op.startswith(POLL) else after
        if a0.retry_after is not None and b0.retry_after is not None:
            if close(ga, a0.retry_after) and not close(gb, b0.retry_after):
                self.add(
                    Observation(
                        "retry-after-ignored",
                        Severity.MEDIUM,
                        f"{op}#retry-after-{cls}",
                        f"{op}: after {what} with a retry-after hint the port ignores the hint; the SDK waits as asked",
                        "Wait as retry-after-ms / retry-after asks before trying again (§3.1).",
                        evidence(a1, f"asked {a0.retry_after:g} s, waited {ga:g} s"),
                        evidence(b1, f"asked {b0.retry_after:g} s, waited {gb:g} s"),
                        {op},
                    )
                )
                return True
        if close(ga, gb):
            return False
        self.add(
            Observation(
                "backoff",
                Severity.MEDIUM,
                f"{op}#backoff-after-{cls}",
                f"{op}: after {what} the port waits a different time than the SDK before trying again",
                "Use the SDK's backoff (base, cap and jitter constants).",
                evidence(a1, f"waited {ga:g} s"),
                evidence(b1, f"waited {gb:g} s"),
                {op},
            )
        )
        return True

    def _changes(self, op: str, x: Request, y: Request) -> None:
        def varying(request: Request) -> set[str]:
            maps = [leaf_map(e.body) for e in request.attempts]
            return {k for k in set().union(*maps) if len({m.get(k) for m in maps}) > 1}

        def new_keys(request: Request) -> bool:
            return len({e.idempotency_key for e in request.attempts}) > 1

        if len(x.attempts) > 1 and len(y.attempts) > 1:
            for key in sorted(varying(y) ^ varying(x)):
                port_changes = key in varying(y)
                self.add(
                    Observation(
                        "retry-changes",
                        Severity.MEDIUM,
                        f"{op}#{key}",
                        f"{op}: the port "
                        + ("changes" if port_changes else "repeats")
                        + f" {key} when it tries again; the SDK "
                        + ("repeats it" if port_changes else "changes it"),
                        f"Send {key} on a retry as the SDK does (a retry is the same request, §3).",
                        evidence(x.attempts[1], ", ".join(leaf_map(e.body).get(key, "-") for e in x.attempts)),
                        evidence(y.attempts[1], ", ".join(leaf_map(e.body).get(key, "-") for e in y.attempts)),
                        {op},
                    )
                )
        if len(y.attempts) > 1 and len(x.attempts) > 1 and new_keys(x) != new_keys(y):
            self.add(
                Observation(
                    "retry-key",
                    Severity.MEDIUM,
                    f"{op}#x-idempotency-key",
                    f"{op}: the port "
                    + ("sends a new" if new_keys(y) else "repeats its")
                    + " x-idempotency-key when it tries again; the SDK "
                    + ("repeats it" if new_keys(y) else "sends a new one"),
                    "Reuse the key for a retry of the same request; a new request gets a new key (§2.1).",
                    evidence(x.attempts[1]),
                    evidence(y.attempts[1]),
                    {op},
                )
            )

    def _futures(self) -> None:
        mine: dict[str, list[Future]] = {}
        theirs: dict[str, list[Future]] = {}
        for calls, table in ((self.py, mine), (self.port, theirs)):
            for future in calls.futures:
                table.setdefault(future.op, []).append(future)
        for op in sorted(set(mine) | set(theirs)):
            a, b = mine.get(op, []), theirs.get(op, [])
            origin = op[len(POLL) + 1 : -1]
            created = any(e.future for e in self.port.ops.get(origin, []))  # the port got a future to poll
            if a and not b and created:
                self.add(
                    Observation(
                        "not-polled",
                        Severity.MEDIUM,
                        op,
                        f"the port never polls the futures {origin} returns; the SDK does",
                        "Poll retrieve_future for the request id until the result is there (§6).",
                        evidence(a[0].polls[0]),
                        evidence(self.port.ops[origin][0]),
                        {op},
                    )
                )
            elif b and not a and origin in self.py.ops:
                self.add(
                    Observation(
                        "extra-poll",
                        Severity.LOW,
                        op,
                        f"the port polls the futures {origin} returns; the SDK does not",
                        "Check whether the SDK expects a future here.",
                        evidence(self.py.ops[origin][0]),
                        evidence(b[0].polls[0]),
                        set(),
                    )
                )
            for x, y in zip(a, b, strict=False):
                self._polls(op, x, y)

    def _polls(self, op: str, x: Future, y: Future) -> None:
        a, b = _collapsed(x.outcomes), _collapsed(y.outcomes)
        if a != b:
            i = next((i for i, (p, q) in enumerate(zip(a, b, strict=False)) if p != q), min(len(a), len(b)))
            if i < min(len(a), len(b)):
                return  # the server answered differently (timing): not a client behaviour
            stops = len(b) < len(a)
            after = b[-1] if stops else a[-1]
            self.add(
                Observation(
                    "poll-count",
                    Severity.MEDIUM,
                    f"{op}#after-{status_class(after)}",
                    f"{op}: after a poll answered {after} the port "
                    + ("stops polling; the SDK polls again" if stops else "polls again; the SDK stops"),
                    "Follow the SDK's polling policy for this answer (§6.3).",
                    evidence(x.polls[0], "polls: " + ", ".join(x.outcomes)),
                    evidence(y.polls[0], "polls: " + ", ".join(y.outcomes)),
                    {op},
                )
            )
            return
        if x.outcomes != y.outcomes:
            return
        for i in range(len(x.polls) - 1):
            if self._wait(op, x.polls[i], x.polls[i + 1], y.polls[i], y.polls[i + 1], x.outcomes[i]):
                break


def _collapsed(outcomes: list[str]) -> list[str]:
    """Outcomes with runs of ``pending`` folded (how long a future stays pending is the server's timing)."""
    out: list[str] = []
    for o in outcomes:
        if not (o == "pending" and out and out[-1] == "pending"):
            out.append(o)
    return out
