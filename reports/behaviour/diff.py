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

from difflib import SequenceMatcher

from tinker_harness.reports.findings import Severity

from .calls import BACKGROUND, POLL, Calls, Request, canon, leaf_map, leaves, subtree
from .journal import NormEntry
from .observation import Observation, evidence, values_text
from .retries import RetryDiff

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
_RENAME_PATH = 0.75  # path similarity for "the port calls another path in place of this one"
_RENAME_KEYS = 0.5  # body-key overlap for the same


def _present(key: str, keys: set[str]) -> bool:
    return any(k == key or k.startswith((key + ".", key + "[]")) for k in keys)


def _top_absent(key: str, other: set[str]) -> str:
    """The shortest prefix of ``key`` the other side has nothing under (a whole missing object once)."""
    cut = [i for i, c in enumerate(key) if c == "." or key.startswith("[]", i)]
    for end in [*cut, len(key)]:
        if not _present(key[:end], other):
            return key[:end]
    return key


class _Scenario(RetryDiff):
    def __init__(self, scenario: str, python: list[NormEntry], port: list[NormEntry]) -> None:
        self.scenario = scenario
        self.py = Calls(python)
        self.port = Calls(port)
        self.out: list[Observation] = []
        self.renamed: dict[str, str] = {}  # python op -> the port op in its place

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
                    evidence(py[0]),
                    evidence(port[0]),
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
                evidence(py[0]),
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
                evidence(port[0]),
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
                    f"the port declares SDK version {values_text(b)} (x-stainless-package-version, sdk_version), "
                    f"the SDK {values_text(a)}",
                    "Declare the SDK version whose protocol the port speaks; servers gate behaviour on it.",
                    evidence(first_py, ", ".join(first_py.declared)),
                    evidence(first_port, ", ".join(first_port.declared)),
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
                        f"{endpoint}: {header} is {values_text(b)} from the port, "
                        f"{values_text(a)} from the SDK, on {{ops}}",
                        f"Send {header}: {values_text(a)} as the SDK does.",
                        evidence(next(e for e in py if pick(e))),
                        evidence(next(e for e in port if pick(e))),
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
                    evidence(next(e for e in py if header in e.headers)) if missing else None,
                    None if missing else evidence(next(e for e in port if header in e.headers)),
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
        ev_py, ev_port = evidence(py[0].first), evidence(port[0].first)
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
                f"Send {top} as the SDK does (e.g. {values_text({example})})."
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
                    f"{op}: {key} is {values_text({vb})} from the port, {values_text({va})} from the SDK",
                    f"Use the SDK's value (or default) for {key}.",
                    evidence(ea, va),
                    evidence(eb, vb),
                    {op},
                )
            )


def observe(scenario: str, python: list[NormEntry], port: list[NormEntry]) -> list[Observation]:
    """Every difference between the SDK's and the port's journal of ``scenario``."""
    return _Scenario(scenario, python, port).run()
