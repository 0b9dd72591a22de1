"""The wire changelog between two SDK versions: every change of two wire profiles, classed.

Each :class:`Change` is classed for two audiences, each asked one question:

* **servers**: does a server that serves SDK A have to change to serve SDK B? (B calls an endpoint
  A did not, sends a field a strict server rejects, needs a response field its types require or
  its code asserts present, makes protobuf mandatory, drops a client-config switch the server
  used ...)
* **ports**: does a port (or any client) that speaks A fail against a server that serves only B?
  (an endpoint B no longer has, an encoding B no longer accepts, a request field B requires ...)

Additions a side may ignore are ``non-breaking``; every change carries ``file:line`` in A and in B.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from .profile import EncodingInfo, EndpointInfo, TypeInfo, WireProfile, path_key

__all__ = ["CATEGORIES", "Change", "WireDiff", "diff_profiles"]

Impact = Literal["breaking", "non-breaking"]
CATEGORIES = (
    "endpoint",
    "encoding",
    "request field",
    "response field",
    "type",
    "client config",
    "header",
    "constant",
    "cli",
    "env var",
    "method",
)


@dataclass(frozen=True)
class Change:
    category: str
    action: Literal["added", "removed", "changed"]
    subject: str  # "POST /api/v1/cancel_future", "SaveWeightsForSamplerRequest.kind"
    summary: str
    servers: Impact
    ports: Impact
    before: str | None = None  # value in A (annotation, encoding, constant)
    after: str | None = None
    at_a: str | None = None  # file:line in A's wheel
    at_b: str | None = None

    @property
    def breaking(self) -> bool:
        return "breaking" in (self.servers, self.ports)


@dataclass(frozen=True)
class WireDiff:
    a: str
    b: str
    changes: list[Change] = field(default_factory=list)
    endpoint_counts: tuple[int, int] = (0, 0)  # distinct paths in A and in B

    def breaking_for(self, audience: Literal["servers", "ports"]) -> list[Change]:
        return [c for c in self.changes if getattr(c, audience) == "breaking"]

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]


B: Impact = "breaking"
N: Impact = "non-breaking"


def _callers(e: EndpointInfo) -> str:
    if e.callers:
        more = f" (+{len(e.callers) - 3})" if len(e.callers) > 3 else ""
        return "called by " + ", ".join(e.callers[:3]) + more
    return "called by the CLI" if e.at.startswith("tinker/cli/") else "called in the background"


def _endpoints(a: WireProfile, b: WireProfile) -> Iterator[Change]:
    ea, eb = a.endpoint_keys(), b.endpoint_keys()
    for key in sorted(eb.keys() - ea.keys()):
        e = eb[key]
        yield Change("endpoint", "added", f"{e.method} {e.path}", f"new endpoint, {_callers(e)}", B, N, at_b=e.at)
    for key in sorted(ea.keys() - eb.keys()):
        e = ea[key]
        yield Change("endpoint", "removed", f"{e.method} {e.path}", "no longer called", N, B, at_a=e.at)


def _accepts_json(values: list[str]) -> bool:
    return not values or any("json" in v for v in values)


def _encoding_changes(key: str, x: EncodingInfo, y: EncodingInfo) -> Iterator[Change]:
    subject = f"{y.method} {y.path}"
    if x.request != y.request:
        mandatory_change = y.request != "json|protobuf"  # an optional encoding is the server's choice
        text = f"request body {x.request} → {y.request}"
        if y.condition:
            text += f" (protobuf when {y.condition})"
        impact = B if mandatory_change else N
        yield Change("encoding", "changed", subject, text, impact, impact, x.request, y.request, x.at, y.at)
    if x.content_encoding != y.content_encoding:
        gated = y.content_encoding is None or " if " in y.content_encoding
        yield Change(
            "encoding",
            "changed",
            subject,
            f"Content-Encoding {x.content_encoding or 'none'} → {y.content_encoding or 'none'}",
            N if gated else B,
            N,
            x.content_encoding,
            y.content_encoding,
            x.at,
            y.at,
        )
    if x.accept != y.accept:
        dropped_json = _accepts_json(x.accept) and not _accepts_json(y.accept)
        yield Change(
            "encoding",
            "changed",
            subject,
            f"Accept {', '.join(x.accept) or '(any)'} → {', '.join(y.accept) or '(any)'}"
            + (" (JSON results refused)" if dropped_json else ""),
            B if dropped_json else N,
            N,
            "; ".join(x.accept),
            "; ".join(y.accept),
            x.at,
            y.at,
        )


def _encodings(a: WireProfile, b: WireProfile) -> Iterator[Change]:
    xa = {path_key(e.method, e.path): e for e in a.encodings}
    xb = {path_key(e.method, e.path): e for e in b.encodings}
    for key in sorted(xa.keys() & xb.keys()):
        yield from _encoding_changes(key, xa[key], xb[key])


_SPELLING = {"Optional", "Union", "Annotated", "PropertyInfo", "typing", "List", "Dict"}


def _atoms(annotation: str) -> frozenset[str]:
    """The names and literal values of an annotation, spelling aside (``Optional[int]`` = ``int | None``)."""
    found = set(re.findall(r"'[^']*'|[A-Za-z_][\w.]*", annotation))
    if "Optional" in found:
        found.add("None")
    return frozenset(a.rsplit(".", 1)[-1].lower() for a in found - _SPELLING)


def _retyped(request: bool, x: str, y: str) -> tuple[Impact, Impact, str] | None:
    """How a field's type change lands; None for a change of spelling only. Widening a request
    field (``str`` → ``str | None``, a new Literal value) is the server's problem; widening a
    response field is the port's (B's server may send what A's parser refuses); narrowing the reverse."""
    ax, ay = _atoms(x), _atoms(y)
    if ax == ay:
        return None
    if ax < ay:
        return (B, N, "type widened") if request else (N, B, "type widened")
    if ay < ax:
        return (N, B, "type narrowed") if request else (B, N, "type narrowed")
    return B, B, "type changed"


def _field_changes(name: str, kind: str, x: TypeInfo, y: TypeInfo) -> Iterator[Change]:
    request = kind == "request"
    category = "request field" if request else "response field"
    for wire in sorted(y.fields.keys() - x.fields.keys()):
        f = y.fields[wire]
        need = "required" if f.required else f"optional, default {f.default}"
        if wire in y.asserted:
            need += f"; the SDK asserts it present at {y.asserted[wire]}"
        if request:  # strict servers reject unknown keys; a required one a B-only server may demand
            servers, ports = B, (B if f.required else N)
        else:  # B needs a required field from the server, or an optional one its code asserts present
            servers, ports = (B if f.required or wire in y.asserted else N), N
        yield Change(
            category,
            "added",
            f"{name}.{wire}",
            f"{f.annotation} ({need})",
            servers,
            ports,
            None,
            f.annotation,
            None,
            f.at,
        )
    for wire in sorted(x.fields.keys() - y.fields.keys()):
        f = x.fields[wire]
        if request:
            servers, ports = (B if f.required else N), N
        else:
            servers, ports = N, (B if f.required else N)
        yield Change(
            category, "removed", f"{name}.{wire}", f"was {f.annotation}", servers, ports, f.annotation, None, f.at, None
        )
    for wire in sorted(x.fields.keys() & y.fields.keys()):
        fx, fy = x.fields[wire], y.fields[wire]
        retyped = _retyped(request, fx.annotation, fy.annotation) if fx.annotation != fy.annotation else None
        if retyped is not None:
            servers, ports, text = retyped
            yield Change(
                category, "changed", f"{name}.{wire}", text, servers, ports, fx.annotation, fy.annotation, fx.at, fy.at
            )
        elif fx.required != fy.required:
            now = "required" if fy.required else "optional"
            if request:
                servers, ports = N, (B if fy.required else N)
            else:
                servers, ports = (B if fy.required else N), N
            yield Change(
                category,
                "changed",
                f"{name}.{wire}",
                f"now {now}",
                servers,
                ports,
                str(fx.required),
                str(fy.required),
                fx.at,
                fy.at,
            )
        elif not fy.required and (wire in x.asserted) != (wire in y.asserted):
            yield _assertion_change(category, f"{name}.{wire}", x.asserted.get(wire), y.asserted.get(wire), fx.at)


def _assertion_change(category: str, subject: str, in_a: str | None, in_b: str | None, field_at: str) -> Change:
    """An optional result field B's code starts (or stops) asserting present: a server that leaves it
    out serves A and fails B (the reverse breaks no one: B's server may still send it)."""
    if in_b is not None:
        text, servers, before, after = "optional, but now asserted present by the SDK", B, "optional", "asserted"
        return Change(category, "changed", subject, text, servers, N, before, after, in_a or field_at, in_b)
    text, before, after = "optional, no longer asserted present by the SDK", "asserted", "optional"
    return Change(category, "changed", subject, text, N, N, before, after, in_a, field_at)


def _noted(change: Change, x: TypeInfo, y: TypeInfo) -> Change:
    """A field change of a type that serializes itself says so: its wire keys may differ from its fields."""
    if not (x.custom_serializer or y.custom_serializer):
        return change
    note = "; the type writes its own wire keys (model_serializer), so check the body"
    return replace(change, summary=change.summary + note)


def _types(a: WireProfile, b: WireProfile) -> Iterator[Change]:
    for name in sorted(b.types.keys() - a.types.keys()):
        t = b.types[name]
        yield Change("type", "added", name, f"new {t.kind} type ({len(t.fields)} fields)", N, N, at_b=t.at)
    for name in sorted(a.types.keys() - b.types.keys()):
        t = a.types[name]
        yield Change("type", "removed", name, f"{t.kind} type removed", N, N, at_a=t.at)
    for name in sorted(a.types.keys() & b.types.keys()):
        if name == "ClientConfigResponse":
            continue  # its fields are client-config keys, below
        x, y = a.types[name], b.types[name]
        yield from (_noted(c, x, y) for c in _field_changes(name, y.kind, x, y))


def _config(a: WireProfile, b: WireProfile) -> Iterator[Change]:
    ca, cb = a.client_config, b.client_config
    for key in sorted(cb.keys() - ca.keys()):
        f = cb[key]
        yield Change("client config", "added", key, f"{f.annotation} = {f.default}", N, N, None, f.default, None, f.at)
    for key in sorted(ca.keys() - cb.keys()):
        f = ca[key]
        yield Change(
            "client config",
            "removed",
            key,
            "the server can no longer set it; B behaves as if fixed",
            B,
            N,
            f.default,
            None,
            f.at,
            None,
        )
    for key in sorted(ca.keys() & cb.keys()):
        fx, fy = ca[key], cb[key]
        if fx.default != fy.default:
            yield Change("client config", "changed", key, "default changed", B, N, fx.default, fy.default, fx.at, fy.at)


def _named(category: str, xa: dict[str, str], xb: dict[str, str], removed: tuple[Impact, Impact]) -> Iterator[Change]:
    for key in sorted(xb.keys() - xa.keys()):
        yield Change(category, "added", key, f"new {category}", N, N, at_b=xb[key])
    for key in sorted(xa.keys() - xb.keys()):
        yield Change(category, "removed", key, f"{category} removed", removed[0], removed[1], at_a=xa[key])


def _headers(a: WireProfile, b: WireProfile) -> Iterator[Change]:
    la = {k.lower(): (k, v) for k, v in a.headers.items()}
    lb = {k.lower(): (k, v) for k, v in b.headers.items()}
    xa = {la[k][0]: la[k][1] for k in la.keys() - lb.keys()}
    xb = {lb[k][0]: lb[k][1] for k in lb.keys() - la.keys()}
    # A header B stops sending may be what a server keyed on (the SDK version, an auth scheme).
    yield from _named("header", xa, xb, (B, N))


def _constants(a: WireProfile, b: WireProfile) -> Iterator[Change]:
    for key in sorted(a.constants.keys() | b.constants.keys()):
        x, y = a.constants.get(key), b.constants.get(key)
        if x is None and y is not None:
            yield Change("constant", "added", key, f"{y[0]:g} {y[1]}", N, N, None, f"{y[0]:g}", None, y[2])
        elif y is None and x is not None:
            yield Change("constant", "removed", key, f"was {x[0]:g} {x[1]}", N, N, f"{x[0]:g}", None, x[2], None)
        elif x is not None and y is not None and x[0] != y[0]:
            yield Change(
                "constant", "changed", key, f"{x[0]:g} → {y[0]:g} {y[1]}", N, N, f"{x[0]:g}", f"{y[0]:g}", x[2], y[2]
            )


def diff_profiles(a: WireProfile, b: WireProfile) -> WireDiff:
    """Every wire change from ``a`` to ``b``, in :data:`CATEGORIES` order."""
    changes = [
        *_endpoints(a, b),
        *_encodings(a, b),
        *_types(a, b),
        *_config(a, b),
        *_headers(a, b),
        *_constants(a, b),
        *_named("cli", a.cli, b.cli, (N, N)),
        *_named("env var", a.env_vars, b.env_vars, (N, N)),
        *_named("method", a.methods, b.methods, (N, N)),
    ]
    order = {c: i for i, c in enumerate(CATEGORIES)}
    changes.sort(key=lambda c: (order[c.category], not c.breaking, c.subject))
    counts = (len({e.path for e in a.endpoints}), len({e.path for e in b.endpoints}))
    return WireDiff(a.version, b.version, changes, counts)
