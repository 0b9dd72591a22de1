"""Wire differences found from source, without journals: encodings and the declared SDK version.

* **Request encoding** per endpoint: the SDK's manifest says which call sites send protobuf
  (``Content-Type: application/x-protobuf``, possibly compressed or only under a client-config
  switch); a port that reaches the endpoint and never names that content type sends JSON there.
* **Result encoding**: endpoints the SDK asks for protobuf results (``Accept``), which a port without
  protobuf support cannot decode; the server then has to fall back to JSON.
* **Declared SDK version**: the version a port announces (headers, session creation, telemetry)
  against the SDK it is compared with; servers feature-gate clients by it.
* **Headers** the SDK sets that the port never names (low: informational unless the server reads them).

Request body keys as the port serialises them are compared in :mod:`.types` (request types are
wire findings and wire items there); port-only endpoints in :mod:`.endpoints`. Every endpoint whose
encoding was checked (once, however many SDK call sites reach it), the declared version and every
header compared are wire items, so the summary's wire row counts what was compared.
"""

from __future__ import annotations

from tinker_harness.contracts.surface.model import EndpointEncoding
from tinker_harness.reports.elixir.model import PathLiteral
from tinker_harness.reports.findings import Domain, Finding, Severity
from tinker_harness.reports.mapping.names import normalise_path

from .common import Context, port_ev, py_ev

__all__ = ["compare_wire"]

D = Domain.WIRE


def _reached(ctx: Context, encoding: EndpointEncoding) -> bool:
    path = normalise_path(encoding.path)
    return any(normalise_path(p.path) == path for p in ctx.port.paths)


def _port_literal(ctx: Context, path: str) -> PathLiteral | None:
    wanted = normalise_path(path)
    return next((p for p in ctx.port.paths if normalise_path(p.path) == wanted), None)


def _encodings(ctx: Context) -> None:
    protobuf = ctx.port.protobuf
    compared: set[str] = set()
    for encoding in ctx.manifest.wire.encodings:
        subject = f"{encoding.http_method} {normalise_path(encoding.path)}"
        if not ctx.in_scope(D, subject) or not _reached(ctx, encoding):
            continue
        where = _port_literal(ctx, encoding.path)
        port = port_ev(where.loc, where.path) if where else None
        if subject not in compared:  # one item per endpoint, however many SDK call sites reach it
            compared.add(subject)
            ctx.item(D, subject, py_ev(encoding.location, f"{encoding.http_method} {encoding.path}"), port)
        if protobuf:
            continue
        if "protobuf" in encoding.request:
            conditional = encoding.request == "json|protobuf"
            compressed = f", compressed ({encoding.content_encoding})" if encoding.content_encoding else ""
            ctx.add(
                Finding.make(
                    D,
                    "encoding",
                    Severity.MEDIUM if conditional else Severity.CRITICAL,
                    subject,
                    f"{subject}: the SDK sends the body as protobuf (application/x-protobuf{compressed})"
                    + (f" when {encoding.condition}" if conditional else "")
                    + "; the port sends JSON (it never names application/x-protobuf)",
                    "Send this request as protobuf with Content-Type: application/x-protobuf, encoded from the "
                    "SDK's message definitions (check them against a recorded SDK request), and keep JSON only "
                    "if the server still accepts it"
                    + (" (follow the server's client config switch)" if conditional else "")
                    + ".",
                    py_ev(encoding.location, f"{encoding.http_method} {encoding.path}: {encoding.request}"),
                    port,
                )
            )
        for accept in encoding.accept:
            if "protobuf" not in accept.value:
                continue
            ctx.add(
                Finding.make(
                    D,
                    "result-encoding",
                    Severity.MEDIUM,
                    subject,
                    f"{subject}: the SDK asks for protobuf results (Accept: {accept.value}); the port accepts "
                    "JSON only",
                    "Keep asking for JSON until the port can decode protobuf results; check that the server "
                    "still answers JSON to a client that does not accept protobuf.",
                    py_ev(accept.location, f"Accept: {accept.value}"),
                    port,
                )
            )


def _declared_version(ctx: Context) -> None:
    declared = ctx.port.declared_sdk_version
    sdk = ctx.manifest.sdk.version
    if declared is None or not ctx.in_scope(D, "declared-sdk-version"):
        return
    version, loc = declared
    header = next((h for h in ctx.manifest.wire.headers if h.name.lower() == "x-stainless-package-version"), None)
    python = py_ev(header.locations[0], "X-Stainless-Package-Version") if header else None
    ctx.item(D, "declared-sdk-version", python, port_ev(loc, f'sdk version "{version}"'))
    if version == sdk:
        return
    uses = "; ".join(f"{u.label} ({u.loc})" for u in ctx.port.version_uses) or "no use found"
    ctx.add(
        Finding.make(
            D,
            "declared-sdk-version",
            Severity.CRITICAL,
            "declared-sdk-version",
            f"the port announces itself as SDK {version}, not {sdk}: a server feature-gates it as a {version} "
            f"client. Sent as: {uses}",
            f"Announce {sdk} only once the port speaks {sdk}'s wire protocol (the encodings, endpoints and body "
            "keys in this report); until then keep the version it really implements, and check which server "
            "features are gated on it.",
            python,
            port_ev(loc, f'sdk version "{version}"'),
        )
    )


def _headers(ctx: Context) -> None:
    """Headers the SDK sets on API requests that the port never names anywhere."""
    for header in ctx.manifest.wire.headers:
        subject = f"header {header.name.lower()}"
        if not ctx.in_scope(D, subject) or all(loc.file.startswith("tinker/cli/") for loc in header.locations):
            continue  # headers of the SDK's own CLI are compared with the CLI
        where = ctx.port.header_locs.get(header.name.lower())
        named = where is not None or header.name.lower() in ctx.port.header_names
        ctx.item(D, subject, py_ev(header.locations[0], header.name), port_ev(where, header.name) if where else None)
        if named:
            continue
        ctx.add(
            Finding.make(
                D,
                "header-missing",
                Severity.LOW,
                subject,
                f"the port never sends header {header.name}; the SDK sets it"
                + (f" ({', '.join(header.values)})" if header.values else ""),
                f"Check what {header.name} tells the server (see the SDK at {header.locations[0]}) before sending "
                "it; a header with a value the port cannot honour is worse than none.",
                py_ev(header.locations[0], header.name),
            )
        )


def compare_wire(ctx: Context) -> None:
    _encodings(ctx)
    _declared_version(ctx)
    _headers(ctx)
