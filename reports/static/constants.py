"""Behavioural constants: the SDK's retry/backoff/timeout/chunk values against port attributes.

Port candidates are module attributes (``@max_retries 10``), numeric struct defaults
(``defstruct progress_timeout: 7_200_000``), and the defaults of ``Application.get_env(:app, :key,
default)`` and ``Keyword.get(opts, :key, default)``. A candidate matches a canonical key when its
name, normalised (``@default_timeout_ms`` → ``timeout``), is one of the key's aliases and, for keys
with a module hint, its module name contains the hint; a candidate another key claims with its
hint is not taken by a key without one. What the value means is checked before comparing:

* an attribute that only an opt-in mode uses stands for the default mode's one (``@default_timeout``
  of the ``:beam`` clause is ``@python_timeout`` in the catch-all clause);
* a counter starting at 0 is compared by its cap (``bad_request_retries < 3`` is 3);
* a per-pool size is multiplied by its pool count (50 × 20 pools = 1000 connections);
* ``jitter_min 0.75`` is a jitter of 0.25 (delay × (1 − j·rand) spans 0.75–1);
* settings of an opt-in feature (a struct with ``enabled: false``) are nobody else's defaults.

Values are compared after unit conversion; a differing value is a value gap, never "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tinker_harness.contracts.surface.model import Constant
from tinker_harness.reports.elixir.model import Loc
from tinker_harness.reports.elixir.parse import UNKNOWN, literal_source
from tinker_harness.reports.findings import Domain, Finding, Severity
from tinker_harness.reports.mapping.units import normalise_name, port_unit, same_value, to_unit

from .common import Context, attribute_resolver, port_ev, py_ev

__all__ = ["ALIASES", "compare_constants"]

D = Domain.CONSTANTS

# canonical key -> (module hint or None, accepted normalised names)
ALIASES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "http.timeout": (None, ("timeout", "request_timeout", "http_timeout", "receive_timeout")),
    "http.connect_timeout": (None, ("connect_timeout",)),
    "http.max_retries": (None, ("max_retries", "http_max_retries")),
    "http.retry_initial_delay": (
        None,
        ("initial_retry_delay", "retry_initial_delay", "retry_base_delay", "base_delay"),
    ),
    "http.retry_max_delay": (None, ("max_retry_delay", "retry_max_delay", "max_delay")),
    "http.retry_jitter": (None, ("jitter", "retry_jitter")),
    "http.max_connections": (None, ("max_connections", "pool_size")),
    "http.max_keepalive_connections": (None, ("max_keepalive_connections", "keepalive_connections")),
    "holder.retry_window": (None, ("max_wait_time", "retry_window", "max_retry_duration")),
    "holder.backoff_cap": (None, ("backoff_cap", "max_backoff", "retry_backoff_cap")),
    "holder.connection_error_retries": (None, ("connection_error_retries", "max_connection_error_retries")),
    "heartbeat.interval": (None, ("heartbeat_interval", "heartbeat_period", "session_heartbeat_period")),
    "heartbeat.missed_warning": (
        None,
        ("heartbeat_warning", "missed_heartbeat_warning", "heartbeat_warning_threshold"),
    ),
    "futures.poll_timeout": (None, ("poll_timeout", "retrieve_timeout", "future_poll_timeout")),
    "futures.backoff_cap": ("Future", ("backoff_cap", "max_backoff", "poll_backoff_cap")),
    "futures.max_bad_request_retries": (None, ("max_bad_request_retries", "bad_request_retries")),
    "sampling.progress_timeout": (None, ("progress_timeout",)),
    "sampling.retry_delay_base": ("Retry", ("retry_delay_base",)),
    "sampling.retry_delay_max": ("Retry", ("retry_delay_max",)),
    "sampling.jitter_factor": ("Retry", ("jitter_factor",)),
    "sampling.max_connections": ("Retry", ("max_connections",)),
    "fwdbwd.max_chunk_len": (None, ("max_chunk_len", "fwdbwd_max_chunk_len", "chunk_len")),
    "fwdbwd.max_chunk_bytes": (None, ("max_chunk_bytes", "fwdbwd_max_chunk_bytes", "fwdbwd_max_chunk_bytes_count")),
    "fwdbwd.dispatch_bytes": (None, ("fwdbwd_dispatch_bytes", "fwdbwd_dispatch_bytes_semaphore_size")),
    "sampling.dispatch_bytes": (None, ("sample_dispatch_bytes", "sample_dispatch_bytes_semaphore_size")),
    "futures.inflight_response_bytes": (None, ("inflight_response_bytes", "inflight_response_bytes_semaphore_size")),
    "sampling.max_concurrent_requests": (None, ("sample_max_concurrent_requests", "max_concurrent_samples")),
    "billing.max_pause": (None, ("billing_max_pause", "billing_exception_max_pause_duration")),
    "dynamic_config.refresh_interval": (None, ("refresh_interval", "dynamic_config_refresh_interval")),
    "dynamic_config.min_refresh_interval": (None, ("min_refresh_interval",)),
    "telemetry.flush_interval": (None, ("flush_interval", "telemetry_flush_interval")),
    "telemetry.flush_timeout": (None, ("flush_timeout", "telemetry_flush_timeout")),
    "telemetry.max_batch_size": (None, ("max_batch_size", "telemetry_batch_size")),
    "telemetry.max_queue_size": (None, ("max_queue_size", "telemetry_queue_size")),
    "telemetry.http_timeout": ("Telemetry", ("http_timeout", "timeout", "request_timeout")),
    "rest.trace_export_poll_interval": (None, ("trace_export_poll_interval",)),
    "jwt.refresh_on_demand": (None, ("refresh_on_demand", "jwt_refresh_on_demand")),
    "jwt.refresh_retry_delay": (None, ("jwt_retry_delay", "refresh_retry_delay")),
}

# More (module hint, name) pairs per key: the same setting under another name in the port.
MORE_ALIASES: dict[str, tuple[tuple[str | None, str], ...]] = {
    "futures.poll_timeout": (("Future", "polling_http_timeout"), ("Polling", "polling_http_timeout")),
    "fwdbwd.max_chunk_bytes": ((None, "max_chunk_bytes_count"),),
    "heartbeat.missed_warning": ((None, "heartbeat_warning_after"),),
    "http.retry_jitter": ((None, "jitter_min"),),
    "sampling.jitter_factor": (("Retry", "jitter_pct"),),
    "sampling.retry_delay_base": (("Retry", "base_delay"),),
    "sampling.retry_delay_max": (("Retry", "max_delay"),),
    # the SDK sets the sampling retry handler's max_connections from this server default
    "sampling.max_concurrent_requests": (("Retry", "max_connections"),),
    "sampling.dispatch_bytes": (("Sampl", "byte_budget"),),
    "futures.inflight_response_bytes": (("Response", "max_bytes"),),
}

# Keys whose SDK value is overridden at run time by another constant's: shown in the finding.
NOTES: dict[str, str] = {
    "sampling.max_concurrent_requests": "the SDK overrides its sampling retry handler's max_connections with the "
    "server's sample_max_concurrent_requests (client config), whose default this is",
}


@dataclass(frozen=True)
class _Candidate:
    module: str
    name: str  # "@max_retries", "progress_timeout" (struct field) or "heartbeat_interval_ms" (config key)
    rank: int  # 0 module attribute, 1 struct default, 2 a default handed to Application.get_env/Keyword.get
    value: Any
    source: str
    loc: Loc
    from_timer: bool
    note: str = ""  # how the value was read (mode default, counter cap, pools)
    opt_in: bool = False


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _candidates(ctx: Context) -> list[_Candidate]:
    out = []
    for module in ctx.port.modules:
        resolve = attribute_resolver(module)
        for attribute in module.attributes.values():
            value, source, loc, note = attribute.literal, attribute.value, attribute.loc, ""
            instead = module.attributes.get(module.mode_defaults.get(attribute.name, ""))
            if instead is not None and _number(instead.literal):
                value, source, loc = instead.literal, instead.value, instead.loc
                note = f"@{attribute.name} is for an opt-in mode; the default mode uses @{instead.name}"
            if _number(value):
                out.append(
                    _Candidate(
                        module.name,
                        f"@{attribute.name}",
                        0,
                        value,
                        source,
                        loc,
                        ":timer." in source,
                        note,
                        module.opt_in,
                    )
                )
        for field in module.struct or []:
            value = literal_source(field.default, resolve) if field.default else UNKNOWN
            source, loc, note = field.default or "", field.loc, ""
            if field.name in module.counter_caps:
                value, loc = module.counter_caps[field.name]
                source, note = f"{field.name} < {value}", f"{field.name} counts from 0 up to its cap {value}"
            if _number(value):
                out.append(
                    _Candidate(module.name, field.name, 1, value, source, loc, ":timer." in source, note, module.opt_in)
                )
        defaults = [(k, src, loc) for k, src, loc in module.config_defaults]
        defaults += [(k, src, loc) for f in module.functions for k, (src, loc) in f.option_defaults.items()]
        for key, source, loc in defaults:
            value = literal_source(source, resolve)
            if _number(value):
                out.append(_Candidate(module.name, key, 2, value, source, loc, ":timer." in source, "", module.opt_in))
    return _pools(out)


def _pools(candidates: list[_Candidate]) -> list[_Candidate]:
    """A ``pool_size`` beside a ``pool_count`` of the same module counts connections per pool."""
    out = []
    for c in candidates:
        norm = normalise_name(c.name)
        if norm.endswith("pool_size"):
            count_name = norm[: -len("size")] + "count"
            count = next((o for o in candidates if o.module == c.module and normalise_name(o.name) == count_name), None)
            if count is not None:
                total = c.value * count.value
                c = replace(
                    c, value=total, note=f"{c.name} {c.value} per pool × {count.name} {count.value} pools = {total}"
                )
        out.append(c)
    return out


def _names(key: str) -> list[tuple[str | None, str]]:
    hint, names = ALIASES.get(key, (None, (key.rsplit(".", 1)[-1],)))
    return [(hint, n) for n in names] + list(MORE_ALIASES.get(key, ()))


def _fits(c: _Candidate, hint: str | None, name: str) -> bool:
    return normalise_name(c.name) == name and (hint is None or hint in c.module)


def _match(ctx: Context, constant: Constant, candidates: list[_Candidate]) -> _Candidate | None:
    override = ctx.overrides.name_for(D.value, constant.key)
    if override:
        module, _, name = override.rpartition(".")
        return next((c for c in candidates if c.module == module and c.name == name), None)
    wanted = _names(constant.key)
    hits = [c for c in candidates if any(_fits(c, h, n) for h, n in wanted)]

    def claimed(c: _Candidate) -> bool:  # a key naming this module in its hint wants this one
        return any(
            other != constant.key and h is not None and _fits(c, h, n)
            for other in set(ALIASES) | set(MORE_ALIASES)
            for h, n in _names(other)
        )

    mine_hinted = any(h is not None for h, _ in wanted)
    usable = [c for c in hits if not c.opt_in and (mine_hinted or not claimed(c))]
    usable.sort(key=lambda c: (c.rank, "Config" not in c.module, c.module, c.loc.file, c.loc.line))
    return usable[0] if usable else None


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.10g}"
    if unit == "bytes":
        for size, name in ((1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= size and value % size == 0:
                return f"{value / size:g} {name} ({int(value)} bytes)"
        return f"{int(value)} bytes" if value == int(value) else f"{text} bytes"
    return f"{text} {unit}" if unit not in ("count", "ratio") else text


def _port_value(found: _Candidate, constant: Constant) -> tuple[float, str, str]:
    """(value in the SDK's unit, the port's unit, why that unit)."""
    value = float(found.value)
    if constant.unit == "ratio" and normalise_name(found.name).endswith("jitter_min"):
        return 1.0 - value, "ratio", "jitter_min is 1 − jitter"
    unit, reason = port_unit(found.name, constant.unit, found.from_timer)
    return to_unit(value, unit, constant.unit), unit, reason


def _shared(constant: Constant, found: _Candidate, matches: dict[str, tuple[Constant, _Candidate | None]]) -> str:
    """A port constant that also stands for another SDK setting it matches: changing it breaks that one."""
    others = [
        other
        for other, hit in matches.values()
        if other.key != constant.key
        and hit is not None
        and (hit.module, hit.name) == (found.module, found.name)
        and same_value(_port_value(hit, other)[0], other.value)
    ]
    if not others:
        return ""
    names = ", ".join(f"{o.key} ({_fmt(o.value, o.unit)})" for o in others)
    return (
        f" {found.name} also stands for {names}, which it matches now: give {constant.key} a setting of its "
        "own instead of changing the shared one."
    )


def compare_constants(ctx: Context) -> None:
    candidates = _candidates(ctx)
    matches = {c.key: (c, _match(ctx, c, candidates)) for c in ctx.manifest.constants if ctx.in_scope(D, c.key)}
    for constant, found in matches.values():
        python = py_ev(
            constant.location, f"{constant.source.rsplit(':', 1)[-1]} = {_fmt(constant.value, constant.unit)}"
        )
        ctx.item(D, constant.key, python, port_ev(found.loc) if found else None)
        if found is None:
            ctx.add(
                Finding.make(
                    D,
                    "unlocated",
                    Severity.LOW,
                    constant.key,
                    f"{constant.key} ({constant.description}) was not found in the port",
                    f"Check whether the port has this behaviour under another name (map it in [names] of the "
                    f"overrides file) or lacks it; the SDK uses {_fmt(constant.value, constant.unit)}.",
                    python,
                )
            )
            continue
        port_value, unit, reason = _port_value(found, constant)
        if same_value(port_value, constant.value):
            continue
        hint = ""
        if unit in ("s", "ms") and same_value(float(found.value), constant.value):
            meant = _fmt(constant.value * 1000, "ms")
            hint = f" The port value equals the SDK's in {constant.unit}: it was probably meant as {meant}."
        how = f" ({found.note})" if found.note else ""
        note = f" Note: {NOTES[constant.key]}." if constant.key in NOTES else ""
        target = _fmt(to_unit(constant.value, constant.unit, unit), unit)
        fix = (
            f"Make the port's default {_fmt(constant.value, constant.unit)} where {found.name} is used ({reason}); "
            f"in {unit} that is {target}."
        )
        if found.note:
            fix = (
                f"The port's effective default is {_fmt(port_value, constant.unit)}{how}. Change the value that "
                f"produces it, not the name shown, so that it comes to {_fmt(constant.value, constant.unit)}."
            )
        ctx.add(
            Finding.make(
                D,
                "value",
                Severity.MEDIUM,
                constant.key,
                f"{constant.key}: port {found.module}.{found.name} = {_fmt(float(found.value), unit)}"
                + (f" ({_fmt(port_value, constant.unit)})" if unit != constant.unit else "")
                + f"{how}, SDK {_fmt(constant.value, constant.unit)}",
                fix + hint + note + _shared(constant, found, matches),
                python,
                port_ev(found.loc, f"{found.name} {found.source}"),
            )
        )
