"""Endpoints: every ``/api/v1`` path the SDK reaches against the path literals of the port.

Paths are compared as templates (placeholders become ``{}``). Same path, other verb → critical.
An unmatched SDK path is paired with an unmatched port path only when both spell the same words
with other separators (``session_heartbeat`` / ``session/heartbeat``) → critical "path differs";
looking alike is not enough (``…/external_weights_urls`` is not ``…/archive``). An SDK path the port
never mentions → high (medium when only deprecated or experimental methods reach it). A port path
the SDK never calls is a wire difference (medium): the SDK's method of the same name, when there is
one, names the endpoint it uses instead.
"""

from __future__ import annotations

import re

from tinker_harness.contracts.surface.model import Endpoint
from tinker_harness.reports.elixir.model import PathLiteral
from tinker_harness.reports.findings import Domain, Finding, Severity
from tinker_harness.reports.mapping.names import normalise_path

from .common import Context, port_ev, py_ev

__all__ = ["compare_endpoints", "sdk_endpoints"]

D = Domain.ENDPOINTS


def spelling(path: str) -> str:
    """``/api/v1/session_heartbeat`` and ``/api/v1/session/heartbeat`` → the same letters."""
    return re.sub(r"[^a-z0-9{}]", "", path.lower())


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
    paired: dict[str, str] = {}
    for _, sdk_path, _ in unmatched:
        alike = [p for p in spare if spelling(p) == spelling(sdk_path) and p not in paired.values()]
        if len(alike) == 1:
            paired[sdk_path] = alike[0]
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
        callers = ", ".join(endpoint.callers[:3]) or _background(endpoint)
        public = [c for c in endpoint.callers if _stable(ctx, c)]
        ctx.add(
            Finding.make(
                D,
                "missing-endpoint",
                Severity.HIGH if public or not endpoint.callers else Severity.MEDIUM,
                subject,
                f"{verb} {path} is never referenced by the port (SDK: {callers})",
                (
                    f"Implement the call the SDK makes from {callers}."
                    if endpoint.callers
                    else f"Implement the call; the SDK makes it from {callers}. Check what the server needs it for "
                    "before relying on its absence."
                ),
                python,
            )
        )
    everything = {path for _, path in sdk_endpoints(ctx.manifest.endpoints)}  # the scope limits checks, not facts
    for path, literals in sorted(spare.items()):
        if path in everything:
            continue
        literal = literals[0]
        instead = _sdk_instead(ctx, literal.function)
        ctx.add(
            Finding.make(
                Domain.WIRE,
                "port-only-endpoint",
                Severity.MEDIUM,
                f"{literal.verb or '?'} {path}",
                f"the port calls {literal.path}"
                + (f" from {literal.function}" if literal.function else "")
                + f", which tinker {ctx.manifest.sdk.version} never calls"
                + (f"; the SDK's {instead}" if instead else ""),
                (f"Check whether the port should follow the SDK ({instead}); " if instead else "")
                + "check that the server still offers this endpoint before relying on it, and keep it until you "
                "know (removing a call the port's users depend on breaks them).",
                None,
                port_ev(literal.loc, literal.path),
            )
        )


def _background(endpoint: Endpoint) -> str:
    files = {loc.file for loc in endpoint.locations}
    if any("/cli/" in f for f in files):
        return "the CLI (" + ", ".join(sorted(files)) + ")"
    return "background traffic (" + ", ".join(sorted(files)) + ")"


def _stable(ctx: Context, caller: str) -> bool:
    client, _, name = caller.partition(".")
    found = ctx.manifest.client(client)
    method = next((m for m in found.methods if m.name == name), None) if found else None
    return method is not None and not method.deprecated and not method.experimental


def _sdk_instead(ctx: Context, function: str | None) -> str:
    """``TrainingClient.forward uses POST /api/v1/forward_backward`` for a port function ``forward``."""
    if not function:
        return ""
    names = {function, function.removesuffix("_future"), function.removesuffix("_async")}
    for client in ctx.manifest.clients:
        for method in client.methods:
            if method.name in names and method.endpoints:
                reached = ", ".join(sorted({f"{e.http_method} {e.path}" for e in method.endpoints}))
                return f"{client.name}.{method.name} uses {reached}"
    return ""
