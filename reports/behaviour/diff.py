"""Diff two normalised journals of one scenario into observations (one per difference seen there).

Compared per operation (:mod:`reports.behaviour.calls`): whether it is called (and at which path),
the declared SDK version, the request encoding (``content-type``/``content-encoding`` of requests
with a body, ``accept``), which headers are sent, the body's key paths and values (first attempt of
each logical request, paired in order), retries (how many attempts after which answer, the wait
between them, whether ``retry-after`` is honoured, what changes between attempts) and polls (per
future: how many after which answer, the wait between them). Background traffic (telemetry,
heartbeats, dynamic-config refreshes) is compared for presence and headers only. Severities follow
:mod:`reports.findings`: path, encoding, body keys and a missing ``x-api-key`` are critical; a
missing operation high; values, counts, timing and semantic headers medium; informational headers
(also a ``content-type`` on a request without a body) and port-only calls low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from tinker_harness.reports.findings import Evidence, Severity

from .calls import BACKGROUND, POLL, Calls, Future, Request, canon, leaf_map, leaves, subtree
from .journal import NormEntry

__all__ = ["Observation", "observe"]

_BODY_HEADERS = ("content-type", "content-encoding")  # encoding of the request body itself
_VALUE_HEADERS = {"content-type", "content-encoding", "accept"}
_CRITICAL_MISSING = {"x-api-key"}
_SEMANTIC = {
    "x-idempotency-key",
    "x-tinker-request-type",
    "x-tinker-sampling-backpressure",
    "x-tinker-request-iteration",
}
_BACKOFF_ABS_S = 0.25
_BACKOFF_REL = 0.5
_RENAME_PATH = 0.75  # path similarity for "the port calls another path in place of this one"
_RENAME_KEYS = 0.5  # body-key overlap for the same


@dataclass
class Observation:
    """One difference in one scenario; observations with one ``key`` are one finding across scenarios."""

    kind: str
    severity: Severity
    subject: str  # scenario-free: "create_session#project_id", "x-sdk-version"
    title: str  # may contain "{ops}": the operations where it shows, filled in across scenarios
    fix: str
    python: Evidence | None = None
    port: Evidence | None = None
    ops: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.subject


def _ev(entry: NormEntry | None, text: str = "") -> Evidence | None:
    return Evidence(file=entry.file, line=entry.line, text=text) if entry is not None else None


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= max(_BACKOFF_ABS_S, _BACKOFF_REL * max(x, y))


def _status_class(outcome: str) -> str:
    """A scenario-free label of an answer: ``503`` and ``500`` are both ``5xx``; spaces become dashes."""
    return re.sub(r"\b5\d\d\b", "5xx", outcome).replace(" ", "-")


def _values(values: set[str]) -> str:
    shown = sorted(values)
    text = ", ".join(v if len(v) <= 60 else v[:57] + "..." for v in shown[:3])
    return text + (f" (+{len(shown) - 3})" if len(shown) > 3 else "")


def _present(key: str, keys: set[str]) -> bool:
    return any(k == key or k.startswith((key + ".", key + "[]")) for k in keys)


def _top_absent(key: str, other: set[str]) -> str:
    """The shortest prefix of ``key`` the other side has nothing under (a whole missing object once)."""
    cut = [i for i, c in enumerate(key) if c == "." or key.startswith("[]", i)]
    for end in [*cut, len(key)]:
        if not _present(key[:end], other):
            return key[:end]
    return key


class _Scenario:
    def __init__(self, scenario: str, python: list[NormEntry], port: list[NormEntry]) -> None:
        self.scenario = scenario
        self.py = Calls(python)
        self.port = Calls(port)
        self.out: list[Observation] = []
        self.renamed: dict[str, str] = {}  # python op -> the port op in its place

    def add(self, obs: Observation) -> None:
        self.out.append(obs)

    def run(self) -> list[Observation]:
        self._rename()
        self._declared_version()
        for op in sorted(set(self.py.ops) | set(self.port.ops)):
            py, port = self.py.ops.get(op), self.port.ops.get(op)
            if py is None and port is not None and not op.startswith(POLL):
                self._extra(op, port)
            elif port is None and py is not None and not op.startswith(POLL):
                self._missing(op, py)
            elif py is not None and port is not None:
                self._encoding(op, py, port)
                self._headers(op, py, port)
        for op, py_requests in sorted(self.py.requests.items()):
            port_requests = self.port.requests.get(op)
            if port_requests:
                self._bodies(op, py_requests, port_requests)
                self._retries(op, py_requests, port_requests)
                if len(py_requests) != len(port_requests):
                    self._count(op, py_requests, port_requests)
        self._futures()
        return self.out

    # --- which calls ---------------------------------------------------------------------------

    def _rename(self) -> None:
        """A port operation at another path in place of an SDK one (``/forward`` for a forward-only
        ``forward_backward``): same verb, similar path and mostly the same body keys."""
        spare = {op: es for op, es in self.port.ops.items() if op not in self.py.ops and not op.startswith(POLL)}
        for op, py in sorted(self.py.ops.items()):
            if op in self.port.ops or op.startswith(POLL) or not spare:
                continue
            best = max(spare, key=lambda o: self._likeness(py[0], spare[o][0]))
            if self._likeness(py[0], spare[best][0]) < 1.0:
                continue
            port = spare.pop(best)
            self.renamed[op] = best
            target = f"{py[0].method} {py[0].path}" + (" (forward_only: true)" if py[0].forward_only else "")
            self.add(
                Observation(
                    "path",
                    Severity.CRITICAL,
                    op,
                    f"the port sends {port[0].method} {port[0].path} where the SDK sends {target}",
                    f"Send {target} as the SDK does.",
                    _ev(py[0]),
                    _ev(port[0]),
                    {op},
                )
            )
        if self.renamed:
            self.port = Calls(self.port.entries, {v: k for k, v in self.renamed.items()})

    @staticmethod
    def _likeness(py: NormEntry, port: NormEntry) -> float:
        """1.0 or more when ``port`` plausibly stands in for ``py``; below 1.0 otherwise."""
        if py.method != port.method:
            return 0.0
        kinds = [b.get("type") for b in (py.body, port.body) if isinstance(b, dict)]
        if len(kinds) == 2 and None not in kinds and kinds[0] != kinds[1]:
            return 0.0  # both bodies name their request type, and they differ
        path = SequenceMatcher(None, py.path, port.path).ratio()
        a, b = set(leaf_map(py.body)), set(leaf_map(port.body))
        keys = len(a & b) / len(a | b) if a | b else 1.0
        if path < _RENAME_PATH or keys < _RENAME_KEYS:
            return 0.0
        return 1.0 + path + keys

    def _missing(self, op: str, py: list[NormEntry]) -> None:
        self.add(
            Observation(
                "not-called",
                Severity.LOW if op in BACKGROUND else Severity.HIGH,
                op,
                f"the port never calls {op} ({py[0].method} {py[0].path})",
                "Make the same call the SDK makes at this point of the scenario.",
                _ev(py[0]),
                None,
                {op},
            )
        )

    def _extra(self, op: str, port: list[NormEntry]) -> None:
        self.add(
            Observation(
                "extra-call",
                Severity.LOW,
                op,
                f"the port calls {op} ({port[0].method} {port[0].path}), the SDK does not",
                "Check whether the SDK's flow needs this call.",
                None,
                _ev(port[0]),
                set(),
            )
        )

    def _declared_version(self) -> None:
        a = {v for e in self.py.entries for v in e.declared}
        b = {v for e in self.port.entries for v in e.declared}
        if a and b and a != b:
            first_py = next(e for e in self.py.entries if e.declared)
            first_port = next(e for e in self.port.entries if e.declared)
            self.add(
                Observation(
                    "sdk-version",
                    Severity.MEDIUM,
                    "declared SDK version",
                    f"the port declares SDK version {_values(b)} (x-stainless-package-version, sdk_version), "
                    f"the SDK {_values(a)}",
                    "Declare the SDK version whose protocol the port speaks; servers gate behaviour on it.",
                    _ev(first_py, ", ".join(first_py.declared)),
                    _ev(first_port, ", ".join(first_port.declared)),
                    set(),
                )
            )

    # --- how each call looks -------------------------------------------------------------------

    def _encoding(self, op: str, py: list[NormEntry], port: list[NormEntry]) -> None:
        for header in ("accept", *_BODY_HEADERS):
            pick = (lambda e: True) if header == "accept" else (lambda e: e.has_body)
            a = {e.headers.get(header, "(none)") for e in py if pick(e)}
            b = {e.headers.get(header, "(none)") for e in port if pick(e)}
            if a and b and a != b and op not in self.renamed:
                endpoint = py[0].endpoint
                self.add(
                    Observation(
                        "encoding",
                        Severity.CRITICAL,
                        f"{endpoint}#{header}",
                        f"{endpoint}: {header} is {_values(b)} from the port, {_values(a)} from the SDK, on {{ops}}",
                        f"Send {header}: {_values(a)} as the SDK does.",
                        _ev(next(e for e in py if pick(e))),
                        _ev(next(e for e in port if pick(e))),
                        {op},
                    )
                )

    def _headers(self, op: str, py: list[NormEntry], port: list[NormEntry]) -> None:
        def names(entries: list[NormEntry]) -> set[str]:
            out: set[str] = set()
            for e in entries:
                out |= {h for h in e.headers if h not in _VALUE_HEADERS or (h != "accept" and not e.has_body)}
            return out

        a, b = names(py), names(port)
        for header in sorted(a ^ b):
            missing = header in a
            severity = (
                Severity.CRITICAL
                if missing and header in _CRITICAL_MISSING
                else Severity.MEDIUM
                if header in _SEMANTIC
                else Severity.LOW
            )
            verb = "does not send" if missing else "sends"
            tail = "the SDK does" if missing else "the SDK does not"
            self.add(
                Observation(
                    "header-missing" if missing else "header-extra",
                    severity,
                    header,
                    f"the port {verb} header {header} on {{ops}}; {tail}",
                    "Send the headers the SDK sends." if missing else "Drop the header unless the server needs it.",
                    _ev(next(e for e in py if header in e.headers)) if missing else None,
                    None if missing else _ev(next(e for e in port if header in e.headers)),
                    {op},
                )
            )

    def _bodies(self, op: str, py: list[Request], port: list[Request]) -> None:
        a: dict[str, set[str]] = {}
        b: dict[str, set[str]] = {}
        # Protobuf has no null: an unset field and a JSON null mean the same (§7).
        unset_is_null = py[0].first.content_type.endswith("protobuf") != port[0].first.content_type.endswith("protobuf")
        for requests, table in ((py, a), (port, b)):
            for request in requests:
                for key, value in leaves(request.first.body):
                    if not (unset_is_null and value is None):
                        table.setdefault(key, set()).add(canon(value))
        ev_py, ev_port = _ev(py[0].first), _ev(port[0].first)
        reported: set[tuple[str, str]] = set()
        for key in sorted(set(a) ^ set(b)):
            missing = key in a
            top = _top_absent(key, set(b) if missing else set(a))
            values = {v for k, vs in (a if missing else b).items() if k == top or _present(top, {k}) for v in vs}
            kind = "body-missing" if missing else "body-null" if values == {"null"} else "body-extra"
            if (kind, top) in reported:
                continue
            reported.add((kind, top))
            title = (
                f"{op}: the port's body lacks {top}"
                if missing
                else f"{op}: the port sends {top}: null, the SDK omits it"
                if kind == "body-null"
                else f"{op}: the port's body has {top}, the SDK's does not"
            )
            bodies = [r.first.body for r in py if _present(top, set(leaf_map(r.first.body)))]
            example = canon(subtree(bodies[0], top)) if bodies else ""
            fix = (
                f"Send {top} as the SDK does (e.g. {_values({example})})."
                if missing
                else f"Omit {top} when it has no value, as the SDK does."
                if kind == "body-null"
                else f"Stop sending {top} (request bodies are validated with extra keys forbidden)."
            )
            self.add(Observation(kind, Severity.CRITICAL, f"{op}#{top}", title, fix, ev_py, ev_port, {op}))
        self._values(op, py, port)

    def _values(self, op: str, py: list[Request], port: list[Request]) -> None:
        differing: dict[str, tuple[str, str, NormEntry, NormEntry]] = {}
        for x, y in zip(py, port, strict=False):
            la, lb = leaf_map(x.first.body), leaf_map(y.first.body)
            for key in sorted(set(la) & set(lb)):
                if la[key] != lb[key] and key.rsplit(".", 1)[-1] != "sdk_version" and key not in differing:
                    differing[key] = (la[key], lb[key], x.first, y.first)
        for key, (va, vb, ea, eb) in differing.items():
            self.add(
                Observation(
                    "body-value",
                    Severity.MEDIUM,
                    f"{op}#{key}",
                    f"{op}: {key} is {_values({vb})} from the port, {_values({va})} from the SDK",
                    f"Use the SDK's value (or default) for {key}.",
                    _ev(ea, va),
                    _ev(eb, vb),
                    {op},
                )
            )

    # --- retries and polls -----------------------------------------------------------------------

    def _count(self, op: str, py: list[Request], port: list[Request]) -> None:
        self.add(
            Observation(
                "call-count",
                Severity.MEDIUM,
                f"{op}#requests",
                f"{op}: a different number of requests from the port than from the SDK",
                "Make the same requests as the SDK (each step of the scenario is one request).",
                _ev(py[0].first, f"{len(py)} request(s)"),
                _ev(port[0].first, f"{len(port)} request(s)"),
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
                f"{op}#after-{_status_class(after)}",
                f"{op}: after {after} the port "
                + ("gives up; the SDK tries again" if stops else "tries again; the SDK gives up"),
                "Follow the SDK's retry policy for this answer (§3, §15 of the protocol reference).",
                _ev(a[0], f"{len(a)} attempt(s): " + ", ".join(ta)),
                _ev(b[0], f"{len(b)} attempt(s): " + ", ".join(tb)),
                {op},
            )
        )

    def _wait(self, op: str, a0: NormEntry, a1: NormEntry, b0: NormEntry, b1: NormEntry, after: str) -> bool:
        """Compare the wait before the next attempt (or poll); True when a difference was recorded."""
        ga, gb = round(a1.timestamp - a0.timestamp, 3), round(b1.timestamp - b0.timestamp, 3)
        cls = _status_class(after)
        what = f"a poll answered {after}" if op.startswith(POLL) else after
        if a0.retry_after is not None and b0.retry_after is not None:
            if _close(ga, a0.retry_after) and not _close(gb, b0.retry_after):
                self.add(
                    Observation(
                        "retry-after-ignored",
                        Severity.MEDIUM,
                        f"{op}#retry-after-{cls}",
                        f"{op}: after {what} with a retry-after hint the port ignores the hint; the SDK waits as asked",
                        "Wait as retry-after-ms / retry-after asks before trying again (§3.1).",
                        _ev(a1, f"asked {a0.retry_after:g} s, waited {ga:g} s"),
                        _ev(b1, f"asked {b0.retry_after:g} s, waited {gb:g} s"),
                        {op},
                    )
                )
                return True
        if _close(ga, gb):
            return False
        self.add(
            Observation(
                "backoff",
                Severity.MEDIUM,
                f"{op}#backoff-after-{cls}",
                f"{op}: after {what} the port waits a different time than the SDK before trying again",
                "Use the SDK's backoff (base, cap and jitter constants).",
                _ev(a1, f"waited {ga:g} s"),
                _ev(b1, f"waited {gb:g} s"),
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
                        _ev(x.attempts[1], ", ".join(leaf_map(e.body).get(key, "-") for e in x.attempts)),
                        _ev(y.attempts[1], ", ".join(leaf_map(e.body).get(key, "-") for e in y.attempts)),
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
                    _ev(x.attempts[1]),
                    _ev(y.attempts[1]),
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
                        _ev(a[0].polls[0]),
                        _ev(self.port.ops[origin][0]),
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
                        _ev(self.py.ops[origin][0]),
                        _ev(b[0].polls[0]),
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
                    f"{op}#after-{_status_class(after)}",
                    f"{op}: after a poll answered {after} the port "
                    + ("stops polling; the SDK polls again" if stops else "polls again; the SDK stops"),
                    "Follow the SDK's polling policy for this answer (§6.3).",
                    _ev(x.polls[0], "polls: " + ", ".join(x.outcomes)),
                    _ev(y.polls[0], "polls: " + ", ".join(y.outcomes)),
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


def observe(scenario: str, python: list[NormEntry], port: list[NormEntry]) -> list[Observation]:
    """Every difference between the SDK's and the port's journal of ``scenario``."""
    return _Scenario(scenario, python, port).run()
