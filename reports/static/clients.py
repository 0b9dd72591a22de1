"""Client methods: every public SDK method against the functions of the matching port module.

Rules: an instance method ``m(self, a, b=1)`` needs ``m/N`` in the port with the receiver first.
Its required arguments are there when the port has ``1 + required`` required parameters, or when
each one is a parameter of the same name or an option the function reads from its keyword list
(``Keyword.get(opts, :num_samples, 1)``) and every other required port parameter is one of the
SDK's optional ones; when the SDK method takes optional arguments a larger arity must exist for
them. Static methods have no receiver; properties are 1-arity functions. A behaviour callback
(``@impl``) has the behaviour's arity and is not compared. Not compared either: constructors (ports
build clients with ``start_link``/``new``) and SDK internals, methods whose signature names an
internal type (``holder: InternalClientHolder``). ``x_async`` is satisfied by ``x_async`` or a
``Task``-returning ``x``; a blocking or future-returning ``x`` by a ``Task``-returning ``x_async``.
Names match exactly, without a ``get_`` prefix, or with ``by``/``from`` swapped (a naming gap).
Defaults are compared where the port states them (``opts \\\\ [rank: 32]`` positionally or
``Keyword.get(opts, :rank, 32)``).
"""

from __future__ import annotations

import re

from tinker_harness.contracts.surface.model import ClientClass, Method, Param
from tinker_harness.reports.elixir.model import Function, Module
from tinker_harness.reports.findings import Domain, Finding, Severity
from tinker_harness.reports.mapping.names import find_module

from .common import Context, elixir, port_default, port_ev, py_ev, same_default, show

__all__ = ["compare_clients"]

D = Domain.CLIENTS
_INTERNAL = re.compile(r"\b_?[A-Z]\w*Internal\w*|\bInternal\w+|\b_[A-Z]\w*")
_SYNONYMS = (("_by_", "_from_"), ("_from_", "_by_"))


def is_internal(method: Method) -> bool:
    """A method whose signature names an internal type is plumbing, not public surface."""
    texts = [p.annotation or "" for p in method.params] + [method.returns or ""]
    return any(_INTERNAL.search(t) for t in texts)


def sdk_status(method: Method) -> str:
    """stable / experimental / deprecated, as the SDK marks the method."""
    if method.experimental:
        return "experimental"
    return "deprecated" if method.deprecated else "stable"


def _port_module(ctx: Context, client: ClientClass) -> Module | None:
    override = ctx.overrides.name_for(D.value, client.name)
    return find_module(ctx.port, [override or "", f"{ctx.app}.{client.name}"], client.name)


def _by_rules(module: Module, name: str) -> tuple[list[Function], str]:
    exact = module.public_functions(name)
    if exact:
        return exact, "exact"
    variants = [name[4:]] if name.startswith("get_") else []
    variants += [name.replace(a, b) for a, b in _SYNONYMS if a in name]
    for variant in variants:
        found = module.public_functions(variant)
        if found:
            return found, "naming"
    return [], ""


def _resolve(ctx: Context, module: Module, client: ClientClass, method: Method) -> tuple[list[Function], str]:
    """Port functions implementing ``method`` and how they were matched ("exact"/"override"/"naming"/"")."""
    override = ctx.overrides.name_for(D.value, f"{client.name}.{method.name}")
    if override:
        mod_name, _, fname = override.rpartition(".")
        target = ctx.port.module(mod_name) or module
        return target.public_functions(fname), "override"
    functions, how = _by_rules(module, method.name)
    if functions:
        return functions, how
    if not method.async_variant_of:
        # A blocking or future-returning x: a Task-returning x_async gives the same result.
        later, how = _by_rules(module, f"{method.name}_async")
        tasks = [f for f in later if f.returns_task]
        return (tasks, "task") if tasks else ([], "")
    # x_async: a Task-returning x (found by the same rules) is the Elixir way to be asynchronous.
    sync, how = _by_rules(module, method.async_variant_of)
    tasks = [f for f in sync if f.returns_task]
    return (tasks, how) if tasks else ([], "")


def _fits(function: Function, receiver: int, required: list[str], optional: set[str], options: set[str]) -> bool:
    """The SDK's required arguments are the port's by name or as options, and nothing else is required.

    ``options`` are the keys the port module reads from keyword lists: an ``opts`` parameter handed
    down to a helper that reads ``Keyword.get(opts, :num_samples, 1)`` carries ``num_samples``."""
    takes_opts = any(p.name in ("opts", "options") for p in function.params)
    names = {p.name for p in function.params} | set(function.option_defaults) | (options if takes_opts else set())
    extra = [p.name for p in function.params[receiver:] if p.default is None and p.name not in required]
    return all(n in names for n in required) and all(n in optional for n in extra)


def _arity_problem(method: Method, functions: list[Function], options: set[str]) -> str | None:
    if any(f.callback for f in functions):
        return None  # a behaviour callback: the behaviour fixes its arity
    receiver = 0 if method.kind == "staticmethod" else 1
    positional = [p.name for p in method.required_params if p.kind != "keyword_only"]
    required = receiver + len(positional)
    optional = bool(method.optional_params or len(positional) < len(method.required_params))
    optional_names = {p.name for p in method.optional_params}
    exact = [f for f in functions if f.min_arity == required or _fits(f, receiver, positional, optional_names, options)]
    shown = ", ".join(f"{f.name}({', '.join(p.name for p in f.params)})" for f in functions)
    if not exact:
        names = ", ".join(["receiver"] * receiver + positional)
        return f"needs {required} required argument(s) ({names}); the port has {shown}"
    takes_more = any(f.arity > f.min_arity or any(p.name in ("opts", "options") for p in f.params) for f in exact)
    if optional and not takes_more:
        names = ", ".join(p.name for p in method.optional_params)
        return f"takes optional arguments ({names}) but the port has no parameter for them: {shown}"
    return None


def _bare_option(ctx: Context, subject: str, method: Method, param: Param, function: Function) -> None:
    """The port reads the option with no default anywhere: a caller who gives none gets nothing sent
    where the SDK sends its default (``access_scope="owned"``)."""
    read = ctx.port.bare_options.get(param.name)
    takes_opts = any(p.name in ("opts", "options") for p in function.params)
    defaulted = any(param.name in f.option_defaults for m in ctx.port.modules for f in m.functions)
    if read is None or not takes_opts or defaulted or param.default is None or method.async_variant_of:
        return  # an async twin says the same as its sync method
    ctx.add(
        Finding.make(
            D,
            "option-default",
            Severity.LOW,
            f"{subject}#{param.name}",
            f"{subject}: the port reads :{param.name} with no default, so it sends nothing when the caller "
            f"gives none; the SDK sends {param.default_repr}",
            f"Check what the server assumes when {param.name} is absent; if it is not {param.default_repr}, "
            f"default :{param.name} to {elixir(param.default)} where the port reads it ({read}).",
            py_ev(method.location, f"{param.name}={param.default_repr}"),
            port_ev(read, f"Keyword.get(opts, :{param.name})"),
        )
    )


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
                _bare_option(ctx, subject, method, param, function)
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
            if method.kind == "constructor" or is_internal(method) or not ctx.in_scope(D, subject):
                continue
            functions, how = _resolve(ctx, module, client, method) if module is not None else ([], "")
            ctx.item(D, subject, py_ev(method.location), port_ev(functions[0].loc) if functions else None)
            if not functions:
                status = sdk_status(method)
                where = module.name if module is not None else f"{ctx.app}.{client.name} (module not found)"
                ctx.add(
                    Finding.make(
                        D,
                        "missing-method",
                        Severity.HIGH if status == "stable" else Severity.LOW,
                        subject,
                        f"{subject} is missing from the port"
                        + (f" ({status} in the SDK)" if status != "stable" else ""),
                        f"Add def {method.name}(...) to {where}"
                        + (" or record it as intentionally skipped in [accept]." if status != "stable" else "."),
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
                        f"Add {method.name} delegating to {functions[0].name} and keep {functions[0].name} for "
                        "the port's existing callers (deprecate it, do not rename it), or map it in [names] of "
                        "the overrides file.",
                        py_ev(method.location, method.name),
                        port_ev(functions[0].loc, f"{functions[0].name}/{functions[0].arity}"),
                    )
                )
            options = {k for f in module.functions for k in f.option_defaults} if module is not None else set()
            problem = _arity_problem(method, functions, options)
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
