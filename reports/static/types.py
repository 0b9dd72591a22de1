"""Public types: each SDK model/dataclass against the port struct of the same name, as the wire sees it.

The SDK side of a type is its fields by wire name, with two Python-only shapes folded in: a
``model_serializer`` that writes a field under another key (``optim_params`` goes out as
``adam_params``) and numpy twins (``tokens_np`` is read through the ``tokens`` property a port holds
as a plain field). ``*Internal`` types whose public twin exists are SDK plumbing and not compared.
A field of a response-like type that the SDK also has on a request type carrying all of that
type's fields (``TelemetryBatch`` inside ``TelemetrySendRequest``) is judged on the request.

The port side of a *request* type is what its encoder writes (``@derive {Jason.Encoder, only:
[...]}`` or an ``encode``/``to_map`` function), so a struct field outside the encoder is not on the
wire. Severity follows what reaches the server (the SDK sends every non-None field):

* request: a required key not sent is critical; a key the SDK always sends (non-None default) high;
  an optional key medium (the feature cannot be used); a key the port sends that the SDK's type does
  not have high (the SDK's request types forbid unknown keys);
* response: a field the port does not read medium, its ``type`` discriminator low; a port field
  the SDK does not have low; a default that differs low, read from the port's parsing function
  (``get(map, :public) || false``) before its ``defstruct``.
"""

from __future__ import annotations

import re

from tinker_harness.contracts.surface.model import TypeDef, TypeField
from tinker_harness.reports.elixir.model import Module
from tinker_harness.reports.elixir.parse import UNKNOWN
from tinker_harness.reports.findings import Domain, Evidence, Finding, Severity
from tinker_harness.reports.mapping.names import find_module

from .common import Context, elixir, port_default, port_ev, py_ev, same_default, show

__all__ = ["compare_types", "internal_twin", "literal_bodies", "nil_stripped", "posts_type", "sent_types", "wire_names"]

D = Domain.TYPES


def internal_twin(typedef: TypeDef, names: set[str]) -> bool:
    """``SaveWeightsForSamplerResponseInternal`` when ``SaveWeightsForSamplerResponse`` exists."""
    return typedef.name.endswith("Internal") and typedef.name[: -len("Internal")] in names


def wire_names(typedef: TypeDef, field: TypeField) -> list[str]:
    """Every key the field may have in the port: its wire name, serializer renames, its list view."""
    names = [field.wire_name, *typedef.wire_renames.get(field.name, [])]
    if field.wire_name.endswith("_np") and field.wire_name[:-3] in typedef.properties:
        names.append(field.wire_name[:-3])
    return names


def _module(ctx: Context, typedef: TypeDef) -> Module | None:
    """The port struct of ``typedef``: by override or exact name only (a similar name is another type)."""
    override = ctx.overrides.name_for(D.value, typedef.name)
    candidates = [override or "", f"{ctx.app}.Types.{typedef.name}", f"{ctx.app}.{typedef.name}"]
    return find_module(ctx.port, candidates, typedef.name, need_struct=typedef.kind != "enum")


def sent_types(types: list[TypeDef]) -> set[str]:
    """Request types and every type a request carries (``Datum`` inside ``ForwardBackwardInput``)."""
    by_name = {t.name: t for t in types}
    out = {t.name for t in types if t.kind == "request" or t.name.endswith("Request")}
    todo = list(out)
    while todo:
        for field in by_name[todo.pop()].fields:
            for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", field.annotation):
                if word in by_name and word not in out and by_name[word].kind != "enum":
                    out.add(word)
                    todo.append(word)
    return out


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _carried_by(types: list[TypeDef]) -> dict[str, set[str]]:
    """Request type -> itself and every type it carries (``SamplingParams`` inside ``SampleRequest``)."""
    by_name = {t.name: t for t in types}
    out: dict[str, set[str]] = {}
    for root in (t.name for t in types if t.kind == "request" or t.name.endswith("Request")):
        seen, todo = {root}, [root]
        while todo:
            for field in by_name[todo.pop()].fields:
                for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", field.annotation):
                    if word in by_name and word not in seen and by_name[word].kind != "enum":
                        seen.add(word)
                        todo.append(word)
        out[root] = seen
    return out


def posts_type(segment: str, request: str) -> bool:
    """Whether a path's last segment names request type ``request`` (``asample`` <- ``SampleRequest``)."""
    stem = _snake(request.removesuffix("Request"))
    return segment == stem or (segment.endswith(stem) and "_" not in segment[: -len(stem)])


def _last_segment(path: str) -> str:
    return next((s for s in reversed(path.split("/")) if s and "{" not in s), "")


def literal_bodies(ctx: Context) -> None:
    """Keys the SDK always sends that a body built as a plain map at the call site leaves out."""
    requests = [t for t in ctx.manifest.types if t.kind == "request" or t.name.endswith("Request")]
    reported = {f.id for f in ctx.findings}
    for body in ctx.port.literal_bodies:
        segment = _last_segment(body.path)
        for typedef in (t for t in requests if posts_type(segment, t.name)):
            if not ctx.in_scope(D, typedef.name):
                continue
            for field in typedef.fields:
                if not (field.required or field.default is not None) or set(wire_names(typedef, field)) & set(
                    body.keys
                ):
                    continue
                finding = Finding.make(
                    Domain.WIRE,
                    "missing-field",
                    Severity.CRITICAL if field.required else Severity.HIGH,
                    f"{typedef.name}#{field.wire_name}",
                    f"{typedef.name}.{field.wire_name} is not in the body the port posts to {body.path}: it builds "
                    f"that body as a plain map ({', '.join(body.keys) or 'no keys'}) at {body.loc}, not from its "
                    + (
                        "struct (required: the server rejects the request without it)"
                        if field.required
                        else f"struct (the SDK always sends it, default {field.default_repr})"
                    ),
                    f"Build the body at {body.loc} from the port's request struct (check that its encoder "
                    f"writes {field.wire_name}), or add {field.wire_name}: "
                    f"{'...' if field.default is None else elixir(field.default)} to that map.",
                    py_ev(field.location, f"{field.name}: {field.annotation}"),
                    port_ev(body.loc, "%{" + ", ".join(f"{k}: ..." for k in body.keys) + "}"),
                )
                if finding.id not in reported:
                    reported.add(finding.id)
                    ctx.add(finding)


def nil_stripped(ctx: Context) -> set[str]:
    """Types whose nil values never reach the wire: every request carrying them is posted by a port
    function that strips nils (``transform: [drop_nil?: true]``). A request type goes to the path whose
    last segment is its name (``ForwardBackwardRequest`` -> ``/forward_backward``), or that name with
    an unseparated prefix (``SampleRequest`` -> ``/asample``)."""
    segments: dict[str, list[bool]] = {}
    for literal in ctx.port.paths:
        segments.setdefault(_last_segment(literal.path), []).append(literal.drops_nil)

    def stripped(request: str) -> bool:
        flags = [flag for segment, seen in segments.items() if posts_type(segment, request) for flag in seen]
        return bool(flags) and all(flags)

    carriers: dict[str, list[bool]] = {}
    for request, carried in _carried_by(ctx.manifest.types).items():
        flag = stripped(request)
        for name in carried:
            carriers.setdefault(name, []).append(flag)
    return {name for name, flags in carriers.items() if all(flags)}


def _enclosed(ctx: Context, typedef: TypeDef) -> bool:
    """A non-request type with the very fields of a request type (the wire has them there).

    ``TelemetryBatch`` and ``TelemetrySendRequest`` carry the same five fields; a two-field response
    (``model_id``, ``type``) sharing them with some request is not enclosed by it."""
    if typedef.kind == "request" or len(typedef.fields) < 3:
        return False
    mine = {f.wire_name for f in typedef.fields}
    return any(
        t.kind == "request" and t.name != typedef.name and mine == {f.wire_name for f in t.fields}
        for t in ctx.manifest.types
    )


PARSE_FUNCTIONS = ("from_json", "from_map", "from_response", "from_api", "parse", "decode", "cast")


def _parser_hint(module: Module, key: str, request: bool) -> str:
    """A response struct filled by a parsing function only gets the keys that function reads."""
    if request:
        return ""
    parser = next((f for name in PARSE_FUNCTIONS for f in module.public_functions(name) if f.arity >= 1), None)
    if parser is None:
        return ""
    return (
        f", and read {key} in {parser.name}/{parser.arity} ({parser.loc}), which builds the struct from the "
        "response: a key it does not read stays at the struct's default"
    )


def _missing(ctx: Context, typedef: TypeDef, field: TypeField, module: Module, struct_has: bool, request: bool) -> None:
    options = wire_names(typedef, field)
    view = options[-1] if field.wire_name.endswith("_np") and options[-1] != field.wire_name else field.wire_name
    subject = f"{typedef.name}#{view}"
    always = not field.required and field.default is not None
    if request:
        severity = Severity.CRITICAL if field.required else Severity.HIGH if always else Severity.MEDIUM
        why = (
            "required: the server rejects the request without it"
            if field.required
            else f"the SDK always sends it (default {field.default_repr})"
            if always
            else "optional: sent only when set, the feature it carries is out of reach"
        )
    else:
        severity = Severity.LOW if field.wire_name == "type" else Severity.MEDIUM
        why = "the port does not read it from responses"
    encoder = f" and to its encoder's field list ({module.encoder_loc})" if module.encoder_loc else ""
    if struct_has:
        title = f"{typedef.name}.{field.wire_name} is in the port struct but its encoder never sends it ({why})"
        fix = f"Add :{field.wire_name} to the encoder of {module.name} ({module.encoder_loc})."
        where = port_ev(module.encoder_loc or module.loc, f"encoder of {module.name}")
    else:
        title = f"{typedef.name}.{field.wire_name} is missing from the port ({why})"
        value = "nil" if field.required or field.default is None else elixir(field.default)
        fix = (
            f"Add {field.wire_name}: {value} to the defstruct of {module.name}{encoder}"
            + (
                f", and set it wherever the struct is built (the SDK sends {field.annotation}); add it to "
                "@enforce_keys only once every builder sets it"
                if field.required and request
                else ""
            )
            + (
                "; check which key the SDK's serializer writes before renaming anything"
                if typedef.custom_serializer
                else ""
            )
            + _parser_hint(module, field.wire_name, request)
            + "."
        )
        where = port_ev(module.loc, f"defstruct of {module.name}")
    ctx.add(
        Finding.make(
            Domain.WIRE if request else D,
            "missing-field",
            severity,
            subject,
            title,
            fix,
            py_ev(field.location, f"{field.name}: {field.annotation}"),
            where,
        )
    )


def _default(ctx: Context, typedef: TypeDef, field: TypeField, module: Module, port_name: str, request: bool) -> None:
    if field.required or field.default is None and field.default_repr not in (None, "None"):
        return
    struct_field = next((f for f in module.struct or [] if f.name == port_name), None)
    parsed = module.parse_defaults.get(port_name) if not request else None
    source, loc = parsed if parsed else ((struct_field.default, struct_field.loc) if struct_field else (None, None))
    value = port_default(source, module) if source is not None else None
    if value is UNKNOWN or loc is None and struct_field is None:
        return
    if same_default(field.default, value) is not False:
        return
    sent = request and (field.default is not None or value is not None)
    ctx.add(
        Finding.make(
            Domain.WIRE if sent else D,
            "default",
            Severity.HIGH if sent else Severity.LOW,
            f"{typedef.name}#{field.wire_name}",
            f"{typedef.name}.{field.wire_name} defaults to {show(value)} in the port, {field.default_repr} in the SDK"
            + (" (the default goes on the wire)" if sent else " (used when the server omits it)"),
            (
                f"The SDK omits {field.wire_name} when unset; the port sends {show(value)}: check that the server "
                f"treats that like a missing value, or leave the key out when the caller gives none."
                if sent and field.default is None
                else f"Nothing to change for the server: {field.wire_name} only tags the response. Keep the "
                f"port's default if port code matches on it (changing it would break that match)."
                if not sent and field.wire_name == "type"
                else f"Use {elixir(field.default)} as the default of {port_name} in {module.name}"
                + (" (in the function that parses responses)" if parsed else "")
                + "."
            ),
            py_ev(field.location, f"{field.name} = {field.default_repr}"),
            Evidence(file=(loc or module.loc).file, line=(loc or module.loc).line, text=f"{port_name}: {source}"),
        )
    )


def _nulls(ctx: Context, typedef: TypeDef, module: Module, sent: list[str]) -> None:
    """A derived encoder writes nil as null; the SDK leaves unset optional keys out of the body."""
    nil = {f.name for f in module.struct or [] if f.default is None or f.default.strip() == "nil"}
    always_set = ctx.port.set_keys.get(module.name.rsplit(".", 1)[-1], set())  # every builder fills them
    keys = [
        f.wire_name
        for f in typedef.fields
        if not f.required
        and f.default is None
        and f.default_repr in (None, "None")
        and f.wire_name in sent
        and f.wire_name in nil
        and f.wire_name not in always_set
    ]
    if not keys:
        return
    ctx.add(
        Finding.make(
            Domain.WIRE,
            "null-keys",
            Severity.MEDIUM,
            typedef.name,
            f"{module.name} sends {', '.join(keys)} as null when unset; the SDK leaves "
            + ("it" if len(keys) == 1 else "them")
            + " out of the body",
            f"Check that the server treats null like a missing key; if not, make the encoder of {module.name} "
            f"({module.encoder_loc}) skip nil values instead of dropping the keys from its list.",
            py_ev(typedef.location, f"class {typedef.name}: exclude_none"),
            port_ev(module.encoder_loc or module.loc, f"encoder of {module.name}"),
        )
    )


def compare_types(ctx: Context) -> None:
    names = {t.name for t in ctx.manifest.types}
    sent = sent_types(ctx.manifest.types)
    stripped = nil_stripped(ctx)
    for typedef in ctx.manifest.types:
        if internal_twin(typedef, names) or not ctx.in_scope(D, typedef.name):
            continue
        module = _module(ctx, typedef)
        ctx.item(D, typedef.name, py_ev(typedef.location), port_ev(module.loc) if module else None)
        if module is None:
            fields = ", ".join(f.wire_name for f in typedef.fields) or "its values"
            ctx.add(
                Finding.make(
                    D,
                    "missing-type",
                    Severity.HIGH,
                    typedef.name,
                    f"type {typedef.name} has no port struct",
                    f"Add defmodule {ctx.app}.Types.{typedef.name} with defstruct of {fields}"
                    + (" and an encoder writing exactly those keys." if typedef.kind == "request" else "."),
                    py_ev(typedef.location, f"class {typedef.name} ({typedef.kind})"),
                )
            )
            continue
        if typedef.kind == "enum" or module.struct is None:
            continue
        if typedef.name in sent:  # a request body: also a wire item (its keys as the port sends them)
            ctx.item(Domain.WIRE, typedef.name, py_ev(typedef.location), port_ev(module.encoder_loc or module.loc))
        _fields(ctx, typedef, module, typedef.name in sent, stripped)
    literal_bodies(ctx)


def _fields(ctx: Context, typedef: TypeDef, module: Module, request: bool, stripped: set[str]) -> None:
    struct = {f.name: f for f in module.struct or []}
    sent = module.wire_fields() if request else None
    on_wire = set(sent) if sent is not None else set(struct)
    enclosed = _enclosed(ctx, typedef)
    known: set[str] = set(typedef.properties)
    twin = ctx.manifest.type(f"{typedef.name}Internal")  # the shape the SDK parses the wire into
    if twin is not None:
        known |= {n for f in twin.fields for n in wire_names(twin, f)}
    for field in typedef.fields:
        options = wire_names(typedef, field)
        known |= set(options)
        present = next((n for n in options if n in on_wire), None)
        if present is None:
            if not enclosed:
                _missing(ctx, typedef, field, module, any(n in struct for n in options), request)
            continue
        if present == field.wire_name:  # a list view over a numpy field has its own default
            _default(ctx, typedef, field, module, present, request)
    if request and module.encoder_derived and sent is not None and typedef.name not in stripped:
        _nulls(ctx, typedef, module, sent)
    extras = [n for n in (sent if sent is not None else list(struct)) if n not in known and not enclosed]
    for name in extras:
        port_field = struct.get(name)
        loc = port_field.loc if port_field is not None else module.encoder_loc or module.loc
        ctx.add(
            Finding.make(
                Domain.WIRE if request else D,
                "extra-field",
                Severity.HIGH if request else Severity.LOW,
                f"{typedef.name}#{name}",
                f"{module.name} "
                + (f"sends {name}, which SDK request type {typedef.name} does not have" if request else "")
                + (f"reads {name}, which SDK type {typedef.name} does not have" if not request else ""),
                (
                    f"Stop sending {name} (drop it from the encoder of {module.name}"
                    + (f", {module.encoder_loc}" if module.encoder_loc else "")
                    + "): the SDK's request types forbid unknown keys. Check first that no SDK field "
                    "is meant (a renamed field)."
                )
                if request
                else f"Check the server still returns {name} (an older SDK's field?); nothing breaks if it does not.",
                py_ev(typedef.location, f"class {typedef.name}"),
                port_ev(loc, name),
            )
        )
