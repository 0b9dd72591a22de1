"""Diff two normalised journals of the same scenario into wire-behaviour findings.

Per endpoint (background traffic — telemetry, heartbeats, dynamic-config refreshes — only for
presence): whether it is called, the request encoding and header set, the body key paths and
values, how many attempts each logical request took (retries; polls for ``retrieve_future``) and
the time between attempts (backoff). Severities follow :mod:`reports.findings`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from difflib import SequenceMatcher
from typing import Any

from tinker_harness.reports.findings import Domain, Evidence, Finding, ItemStatus, Severity

from .journal import NormEntry

__all__ = ["BACKGROUND", "diff_journals"]

D = Domain.WIRE
BACKGROUND = {"telemetry", "session_heartbeat", "client_dynamic_config"}
POLL = "retrieve_future"
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


def _ev(entry: NormEntry, text: str = "") -> Evidence:
    return Evidence(file=entry.file, line=entry.line, text=text)


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for inner in value:
            yield from _leaves(inner, f"{prefix}[]")
    else:
        yield prefix, value


def _groups(entries: list[NormEntry]) -> dict[str, list[NormEntry]]:
    out: dict[str, list[NormEntry]] = {}
    for entry in entries:
        out.setdefault(entry.endpoint, []).append(entry)
    return out


def _attempts(entries: list[NormEntry]) -> list[list[NormEntry]]:
    """Entries grouped into logical requests: same body, in time order (retries and polls)."""
    groups: dict[str, list[NormEntry]] = {}
    for entry in sorted(entries, key=lambda e: (e.timestamp, e.line)):
        groups.setdefault(_canon(entry.body), []).append(entry)
    return list(groups.values())


class _Diff:
    def __init__(self, scenario: str, python: list[NormEntry], port: list[NormEntry]) -> None:
        self.scenario = scenario
        self.python = _groups(python)
        self.port = _groups(port)
        self.findings: list[Finding] = []
        self.items: list[ItemStatus] = []

    def add(
        self,
        kind: str,
        severity: Severity,
        subject: str,
        title: str,
        fix: str,
        python: Evidence | None = None,
        port: Evidence | None = None,
    ) -> None:
        self.findings.append(Finding.make(D, kind, severity, f"{self.scenario}:{subject}", title, fix, python, port))

    def run(self) -> tuple[list[Finding], list[ItemStatus]]:
        spare = {name: es for name, es in self.port.items() if name not in self.python}
        for name, py_entries in sorted(self.python.items()):
            port_entries = self.port.get(name)
            subject = f"{self.scenario}:{name}"
            if port_entries is None:
                port_entries = self._renamed(name, py_entries, spare)
            self.items.append(
                ItemStatus(
                    domain=D,
                    subject=subject,
                    status="?",
                    python=_ev(py_entries[0]),
                    port=_ev(port_entries[0]) if port_entries else None,
                )
            )
            if port_entries is None:
                severity = Severity.LOW if name in BACKGROUND else Severity.HIGH
                self.add(
                    "not-called",
                    severity,
                    name,
                    f"the port never calls {name} ({py_entries[0].method} "
                    f"{py_entries[0].path}) in scenario {self.scenario}",
                    "Make the same call the SDK makes at this point of the scenario.",
                    _ev(py_entries[0]),
                )
                continue
            self._compare(name, py_entries, port_entries)
        for name, entries in sorted(spare.items()):
            self.add(
                "extra-call",
                Severity.LOW,
                name,
                f"the port calls {name} ({entries[0].method} {entries[0].path}), the SDK does not",
                "Check whether the SDK's flow needs this call.",
                None,
                _ev(entries[0]),
            )
        return self.findings, self.items

    def _renamed(self, name: str, py: list[NormEntry], spare: dict[str, list[NormEntry]]) -> list[NormEntry] | None:
        """A port call to a different path in the place of this endpoint (a wrong path → 404)."""
        target = f"{py[0].method} {py[0].path}"
        best = max(spare, key=lambda n: SequenceMatcher(None, n, target).ratio(), default=None)
        if best is None or SequenceMatcher(None, best, target).ratio() < 0.75:
            return None
        entries = spare.pop(best)
        self.add(
            "path",
            Severity.CRITICAL,
            name,
            f"the port sends {entries[0].method} {entries[0].path} where the SDK sends {target}",
            f"Use the SDK's path {py[0].path}.",
            _ev(py[0]),
            _ev(entries[0]),
        )
        return entries

    def _compare(self, name: str, py: list[NormEntry], port: list[NormEntry]) -> None:
        self._encoding(name, py, port)
        self._headers(name, py, port)
        if name in BACKGROUND:
            return
        self._bodies(name, py, port)
        self._counts(name, py, port)

    def _encoding(self, name: str, py: list[NormEntry], port: list[NormEntry]) -> None:
        for header in sorted(_VALUE_HEADERS):
            a = Counter(e.headers.get(header, "") for e in py)
            b = Counter(e.headers.get(header, "") for e in port)
            if set(a) != set(b):
                self.add(
                    "encoding",
                    Severity.CRITICAL,
                    f"{name}#{header}",
                    f"{name}: {header} is "
                    f"{', '.join(sorted(b)) or '(none)'} from the port, "
                    f"{', '.join(sorted(a)) or '(none)'} from the SDK",
                    f"Send {header}: {', '.join(sorted(a))} as the SDK does.",
                    _ev(py[0]),
                    _ev(port[0]),
                )

    def _headers(self, name: str, py: list[NormEntry], port: list[NormEntry]) -> None:
        a = set().union(*(e.headers for e in py)) - _VALUE_HEADERS
        b = set().union(*(e.headers for e in port)) - _VALUE_HEADERS
        for header, side in [(h, "missing") for h in sorted(a - b)] + [(h, "extra") for h in sorted(b - a)]:
            severity = (
                Severity.CRITICAL
                if header in _CRITICAL_MISSING and side == "missing"
                else Severity.MEDIUM
                if header in _SEMANTIC
                else Severity.LOW
            )
            verb = "does not send" if side == "missing" else "sends an extra"
            self.add(
                f"header-{side}",
                severity,
                f"{name}#{header}",
                f"{name}: the port {verb} header {header}",
                "Send the headers the SDK sends."
                if side == "missing"
                else "Drop the header unless the server needs it.",
                _ev(py[0]) if side == "missing" else None,
                _ev(port[0]),
            )

    def _bodies(self, name: str, py: list[NormEntry], port: list[NormEntry]) -> None:
        a: dict[str, Counter[str]] = {}
        b: dict[str, Counter[str]] = {}
        for entries, table in ((py, a), (port, b)):
            for entry in entries:
                for key, value in _leaves(entry.body):
                    table.setdefault(key, Counter())[_canon(value)] += 1
        for key in sorted(set(a) | set(b)):
            if key in a and key not in b:
                self.add(
                    "body-missing",
                    Severity.CRITICAL,
                    f"{name}#{key}",
                    f"{name}: the port's body lacks {key}",
                    f"Send {key} as the SDK does (e.g. {next(iter(a[key]))}).",
                    _ev(py[0]),
                    _ev(port[0]),
                )
            elif key in b and key not in a:
                self.add(
                    "body-extra",
                    Severity.CRITICAL,
                    f"{name}#{key}",
                    f"{name}: the port's body has {key}, the SDK's does not",
                    f"Stop sending {key} (request bodies are validated with extra keys forbidden).",
                    _ev(py[0]),
                    _ev(port[0]),
                )
            elif set(a[key]) != set(b[key]):
                self.add(
                    "body-value",
                    Severity.MEDIUM,
                    f"{name}#{key}",
                    f"{name}: {key} is {', '.join(sorted(b[key]))} "
                    f"from the port, {', '.join(sorted(a[key]))} from the SDK",
                    f"Use the SDK's value (default) for {key}.",
                    _ev(py[0]),
                    _ev(port[0]),
                )

    def _counts(self, name: str, py: list[NormEntry], port: list[NormEntry]) -> None:
        ga, gb = _attempts(py), _attempts(port)
        label = "polls" if name == POLL else "attempts"
        extra_a, extra_b = sum(len(g) - 1 for g in ga), sum(len(g) - 1 for g in gb)
        if len(ga) != len(gb):
            self.add(
                "call-count",
                Severity.MEDIUM,
                f"{name}#calls",
                f"{name}: {len(gb)} distinct request(s) from the port, {len(ga)} from the SDK",
                "Make the same number of calls as the SDK.",
                _ev(py[0]),
                _ev(port[0]),
            )
        if extra_a != extra_b:
            kind = "poll-count" if name == POLL else "retry-count"
            self.add(
                kind,
                Severity.MEDIUM,
                f"{name}#{label}",
                f"{name}: {extra_b} repeated {label} from the port, {extra_a} from the SDK",
                "Follow the SDK's retry/poll policy (§3, §6 of the protocol reference).",
                _ev(py[0]),
                _ev(port[0]),
            )
        gaps_a = [round(g[i + 1].timestamp - g[i].timestamp, 3) for g in ga for i in range(len(g) - 1)]
        gaps_b = [round(g[i + 1].timestamp - g[i].timestamp, 3) for g in gb for i in range(len(g) - 1)]
        for x, y in zip(gaps_a, gaps_b, strict=False):
            if abs(x - y) > max(_BACKOFF_ABS_S, _BACKOFF_REL * max(x, y)):
                self.add(
                    "backoff",
                    Severity.MEDIUM,
                    f"{name}#backoff",
                    f"{name}: the port waits {gaps_b} s between {label}, the SDK {gaps_a} s",
                    "Use the SDK's backoff (base, cap and jitter constants).",
                    _ev(py[0]),
                    _ev(port[0]),
                )
                break


def diff_journals(
    scenario: str, python: list[NormEntry], port: list[NormEntry]
) -> tuple[list[Finding], list[ItemStatus]]:
    return _Diff(scenario, python, port).run()
