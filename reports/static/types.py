"""Public types: each SDK model/dataclass against the port struct of the same name.

Fields are matched by wire name (snake_case on both sides). A missing required field is high, a
missing optional or an extra port field medium (request bodies are validated with
``extra="forbid"``, so an extra key sent is rejected), a differing default medium. Enums only need
a module of that name.
"""

from __future__ import annotations

from tinker_harness.contracts.surface.model import TypeDef
from tinker_harness.reports.elixir.model import Module
from tinker_harness.reports.elixir.parse import UNKNOWN
from tinker_harness.reports.findings import Domain, Finding, Severity
from tinker_harness.reports.mapping.names import find_module

from .common import Context, port_default, port_ev, py_ev, same_default, show

__all__ = ["compare_types"]

D = Domain.TYPES


def _module(ctx: Context, typedef: TypeDef) -> Module | None:
    override = ctx.overrides.name_for(D.value, typedef.name)
    candidates = [override or "", f"{ctx.app}.Types.{typedef.name}", f"{ctx.app}.{typedef.name}"]
    return find_module(ctx.port, candidates, typedef.name, need_struct=typedef.kind != "enum")


def compare_types(ctx: Context) -> None:
    for typedef in ctx.manifest.types:
        if not ctx.in_scope(D, typedef.name):
            continue
        module = _module(ctx, typedef)
        ctx.item(D, typedef.name, py_ev(typedef.location), port_ev(module.loc) if module else None)
        if module is None:
            ctx.add(
                Finding.make(
                    D,
                    "missing-type",
                    Severity.HIGH,
                    typedef.name,
                    f"type {typedef.name} has no port struct",
                    f"Add defmodule {ctx.app}.Types.{typedef.name} with defstruct of "
                    f"{', '.join(f.wire_name for f in typedef.fields) or 'its values'}.",
                    py_ev(typedef.location, f"class {typedef.name} ({typedef.kind})"),
                )
            )
            continue
        if typedef.kind == "enum" or module.struct is None:
            continue
        port_fields = {f.name: f for f in module.struct}
        for field in typedef.fields:
            subject = f"{typedef.name}#{field.wire_name}"
            port_field = port_fields.get(field.wire_name)
            if port_field is None:
                ctx.add(
                    Finding.make(
                        D,
                        "missing-field",
                        Severity.HIGH if field.required else Severity.MEDIUM,
                        subject,
                        f"{typedef.name}.{field.wire_name} ({'required' if field.required else 'optional'}) "
                        "is missing from the port struct",
                        f"Add {field.wire_name}: {show(field.default) if not field.required else 'nil'} to the "
                        f"defstruct of {module.name}" + (" and to @enforce_keys." if field.required else "."),
                        py_ev(field.location, f"{field.name}: {field.annotation}"),
                        port_ev(module.loc, f"defstruct of {module.name}"),
                    )
                )
                continue
            if field.required or field.default is None and field.default_repr not in (None, "None"):
                continue
            value = port_default(port_field.default, module) if port_field.default is not None else None
            if value is UNKNOWN:
                continue
            if same_default(field.default, value) is False:
                ctx.add(
                    Finding.make(
                        D,
                        "default",
                        Severity.MEDIUM,
                        subject,
                        f"{typedef.name}.{field.wire_name} defaults to {show(value)} in the port, "
                        f"{field.default_repr} in the SDK",
                        f"Set {field.wire_name}: {show(field.default)} in the defstruct of {module.name}.",
                        py_ev(field.location, f"{field.name} = {field.default_repr}"),
                        port_ev(port_field.loc, f"{port_field.name}: {port_field.default}"),
                    )
                )
        known = {f.wire_name for f in typedef.fields}
        for name, port_field in port_fields.items():
            if name not in known:
                ctx.add(
                    Finding.make(
                        D,
                        "extra-field",
                        Severity.MEDIUM,
                        f"{typedef.name}#{name}",
                        f"{module.name} has field {name}, which SDK type {typedef.name} does not",
                        f"Remove {name} from the struct (or keep it out of the wire encoding: the server "
                        "rejects unknown keys in request bodies).",
                        py_ev(typedef.location, f"class {typedef.name}"),
                        port_ev(port_field.loc, name),
                    )
                )
