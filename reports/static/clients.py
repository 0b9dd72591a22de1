"""Client methods: every public SDK method against the functions of the matching port module.

Rules: an instance method ``m(self, a, b=1)`` needs ``m/N`` in the port with the receiver first:
its *required* arity must be ``1 + required`` and, when the SDK method takes optional arguments,
a larger arity must exist for them (an ``opts`` keyword list or positional defaults). Static
methods have no receiver; properties are 1-arity functions. Constructors are not compared (ports
build clients with ``start_link``/``new`` and options). ``x_async`` is satisfied by ``x_async`` or
by a ``Task``-returning ``x``. Defaults are compared where the port states them
(``opts \\\\ [rank: 32]`` positionally or ``Keyword.get(opts, :rank, 32)``).
"""

from __future__ import annotations

from tinker_harness.contracts.surface.model import ClientClass, Method
from tinker_harness.reports.elixir.model import Function, Module
from tinker_harness.reports.findings import Domain, Finding, Severity
from tinker_harness.reports.mapping.names import find_module

from .common import Context, port_default, port_ev, py_ev, same_default, show

__all__ = ["compare_clients"]

D = Domain.CLIENTS


def _port_module(ctx: Context, client: ClientClass) -> Module | None:
    override = ctx.overrides.name_for(D.value, client.name)
    return find_module(ctx.port, [override or "", f"{ctx.app}.{client.name}"], client.name)


def _by_rules(module: Module, name: str) -> tuple[list[Function], str]:
    exact = module.public_functions(name)
    if exact:
        return exact, "exact"
    if name.startswith("get_"):
        bare = module.public_functions(name[4:])
        if bare:
            return bare, "naming"
    return [], ""


def _resolve(ctx: Context, module: Module, client: ClientClass, method: Method) -> tuple[list[Function], str]:
    """Port functions implementing ``method`` and how they were matched ("exact"/"override"/"naming"/"")."""
    override = ctx.overrides.name_for(D.value, f"{client.name}.{method.name}")
    if override:
        mod_name, _, fname = override.rpartition(".")
        target = ctx.port.module(mod_name) or module
        return target.public_functions(fname), "override"
    functions, how = _by_rules(module, method.name)
    if functions or not method.async_variant_of:
        return functions, how
    # x_async: a Task-returning x (found by the same rules) is the Elixir way to be asynchronous.
    sync, how = _by_rules(module, method.async_variant_of)
    tasks = [f for f in sync if f.returns_task]
    return (tasks, how) if tasks else ([], "")


def _arity_problem(method: Method, functions: list[Function]) -> str | None:
    receiver = 0 if method.kind == "staticmethod" else 1
    positional = [p.name for p in method.required_params if p.kind != "keyword_only"]
    required = receiver + len(positional)
    optional = bool(method.optional_params or len(positional) < len(method.required_params))
    exact = [f for f in functions if f.min_arity == required]
    shown = ", ".join(f"{f.name}({', '.join(p.name for p in f.params)})" for f in functions)
    if not exact:
        names = ", ".join(["receiver"] * receiver + positional)
        return f"needs {required} required argument(s) ({names}); the port has {shown}"
    if optional and not any(f.arity > required for f in exact):
        names = ", ".join(p.name for p in method.optional_params)
        return f"takes optional arguments ({names}) but the port has no parameter for them: {shown}"
    return None


def _defaults(ctx: Context, subject: str, method: Method, module: Module, functions: list[Function]) -> None:
    for param in method.optional_params:
        if not param.has_default:
            continue
        for function in functions:
            port_param = next((p for p in function.params if p.name == param.name and p.default is not None), None)
            source, loc = (
                (port_param.default, function.loc)
                if port_param
                else function.option_defaults.get(param.name, (None, None))
            )
            if source is None or loc is None:
                continue
            value = port_default(source, module)
            if same_default(param.default, value) is False:
                ctx.add(
                    Finding.make(
                        D,
                        "default",
                        Severity.MEDIUM,
                        f"{subject}#{param.name}",
                        f"{subject}: default of {param.name} is {show(value)} in the port, "
                        f"{param.default_repr} in the SDK",
                        f"Use {param.default_repr} as the default of :{param.name} "
                        f"in {function.name}/{function.arity}.",
                        py_ev(method.location, f"{param.name}={param.default_repr}"),
                        port_ev(loc, source),
                    )
                )
            break


def compare_clients(ctx: Context) -> None:
    for client in ctx.manifest.clients:
        module = _port_module(ctx, client)
        for method in client.methods:
            subject = f"{client.name}.{method.name}"
            if method.kind == "constructor" or not ctx.in_scope(D, subject):
                continue
            functions, how = _resolve(ctx, module, client, method) if module is not None else ([], "")
            ctx.item(D, subject, py_ev(method.location), port_ev(functions[0].loc) if functions else None)
            if not functions:
                deprecated = method.deprecated is not None
                where = module.name if module is not None else f"{ctx.app}.{client.name} (module not found)"
                ctx.add(
                    Finding.make(
                        D,
                        "missing-method",
                        Severity.LOW if deprecated else Severity.HIGH,
                        subject,
                        f"{subject} is missing from the port" + (" (deprecated in the SDK)" if deprecated else ""),
                        f"Add def {method.name}(...) to {where}"
                        + (" or record it as intentionally skipped in [accept]." if deprecated else "."),
                        py_ev(method.location, _signature(method)),
                        port_ev(module.loc, module.name) if module is not None else None,
                    )
                )
                continue
            if method.async_variant_of and how != "override":
                sync, _ = _by_rules(module, method.async_variant_of) if module is not None else ([], "")
                if any(f in sync for f in functions):
                    continue  # the Task-returning sync function: checked once, under its sync name
            if how == "naming":
                ctx.add(
                    Finding.make(
                        D,
                        "naming",
                        Severity.LOW,
                        subject,
                        f"{subject} is named {functions[0].name} in the port",
                        f"Rename to {method.name} or map it in [names] of the overrides file.",
                        py_ev(method.location, method.name),
                        port_ev(functions[0].loc, f"{functions[0].name}/{functions[0].arity}"),
                    )
                )
            problem = _arity_problem(method, functions)
            if problem is not None:
                ctx.add(
                    Finding.make(
                        D,
                        "arity",
                        Severity.HIGH,
                        subject,
                        f"{subject}: {problem}",
                        f"Give {functions[0].name} the receiver, then the SDK's required arguments in order, then "
                        "an opts keyword list for the optional ones.",
                        py_ev(method.location, _signature(method)),
                        port_ev(functions[0].loc, ", ".join(f"{f.name}/{f.arity}" for f in functions)),
                    )
                )
            _defaults(ctx, subject, method, module, functions)  # type: ignore[arg-type]


def _signature(method: Method) -> str:
    parts = []
    for p in method.params:
        prefix = "*" if p.kind == "var_positional" else "**" if p.kind == "var_keyword" else ""
        parts.append(f"{prefix}{p.name}" + (f"={p.default_repr}" if p.has_default else ""))
    return f"{method.name}({', '.join(parts)})"
