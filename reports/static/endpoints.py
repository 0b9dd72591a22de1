"""Endpoints: every ``/api/v1`` path the SDK reaches against the path literals of the port.

Paths are compared as templates (placeholders become ``{}``). Same path, other verb → critical;
an unmatched SDK path paired with a similar unmatched port path → critical "path differs"; an
SDK path the port never mentions → high; a port path the SDK never calls → low.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from tinker_harness.contracts.surface.model import Endpoint
from tinker_harness.reports.elixir.model import PathLiteral
from tinker_harness.reports.findings import Domain, Finding, Severity
from tinker_harness.reports.mapping.names import normalise_path

from .common import Context, port_ev, py_ev

__all__ = ["compare_endpoints", "sdk_endpoints"]

D = Domain.ENDPOINTS
_SIMILAR = 0.75


def sdk_endpoints(endpoints: list[Endpoint]) -> dict[tuple[str, str], Endpoint]:
    """SDK endpoints by (verb, template); a path seen only with an unknown verb keeps ``?``."""
    out: dict[tuple[str, str], Endpoint] = {}
    known = {normalise_path(e.path) for e in endpoints if e.http_method != "?"}
    for e in endpoints:
        path = normalise_path(e.path)
        if e.http_method == "?" and path in known:
            continue
        out.setdefault((e.http_method, path), e)
    return out


def _subject(verb: str, path: str) -> str:
    return f"{verb} {path}"


def compare_endpoints(ctx: Context) -> None:
    wanted = {k: e for k, e in sdk_endpoints(ctx.manifest.endpoints).items() if ctx.in_scope(D, _subject(*k))}
    port: dict[str, list[PathLiteral]] = {}
    for literal in ctx.port.paths:
        port.setdefault(normalise_path(literal.path), []).append(literal)
    used: set[str] = set()
    unmatched: list[tuple[str, str, Endpoint]] = []
    for (verb, path), endpoint in sorted(wanted.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        subject = _subject(verb, path)
        literals = port.get(path, [])
        python = py_ev(endpoint.locations[0], f"{endpoint.http_method} {endpoint.path}")
        if not literals:
            unmatched.append((verb, path, endpoint))
            continue
        used.add(path)
        same = [lit for lit in literals if lit.verb in (None, verb) or verb == "?"]
        ctx.item(D, subject, python, port_ev((same or literals)[0].loc))
        if not same:
            other = literals[0]
            ctx.add(
                Finding.make(
                    D,
                    "verb",
                    Severity.CRITICAL,
                    subject,
                    f"{path} is called with {other.verb} by the port, {verb} by the SDK",
                    f"Send {verb} {path} (the server routes by verb and path).",
                    python,
                    port_ev(other.loc, f"{other.verb} {other.path}"),
                )
            )
    spare = {p: lits for p, lits in port.items() if p not in used}
    # Pair unmatched SDK paths with unmatched port paths, most similar pairs first.
    pairs = sorted(
        ((SequenceMatcher(None, p, path).ratio(), path, p) for _, path, _ in unmatched for p in spare),
        reverse=True,
    )
    paired: dict[str, str] = {}
    for ratio, sdk_path, port_path in pairs:
        if ratio >= _SIMILAR and sdk_path not in paired and port_path not in paired.values():
            paired[sdk_path] = port_path
    for verb, path, endpoint in unmatched:
        subject = _subject(verb, path)
        python = py_ev(endpoint.locations[0], f"{endpoint.http_method} {endpoint.path}")
        if path in paired:
            literal = spare.pop(paired[path])[0]
            ctx.item(D, subject, python, port_ev(literal.loc))
            ctx.add(
                Finding.make(
                    D,
                    "path",
                    Severity.CRITICAL,
                    subject,
                    f"the port sends {literal.path} where the SDK sends {endpoint.path}",
                    f"Change the path literal to {endpoint.path} exactly as the SDK sends it.",
                    python,
                    port_ev(literal.loc, literal.path),
                )
            )
            continue
        ctx.item(D, subject, python, None)
        callers = ", ".join(endpoint.callers[:3]) or "background traffic"
        ctx.add(
            Finding.make(
                D,
                "missing-endpoint",
                Severity.HIGH,
                subject,
                f"{verb} {path} is never referenced by the port (SDK: {callers})",
                f"Implement the call the SDK makes from {callers}.",
                python,
            )
        )
    for path, literals in sorted(spare.items()):
        literal = literals[0]
        ctx.add(
            Finding.make(
                D,
                "port-only-endpoint",
                Severity.LOW,
                f"{literal.verb or '?'} {path}",
                f"the port calls {literal.path}, which the SDK never calls",
                "Check that the server offers this endpoint; drop it if it is a leftover.",
                None,
                port_ev(literal.loc, literal.path),
            )
        )
