"""Behavioural constants: the SDK's retry/backoff/timeout/chunk values against port attributes.

Port candidates are module attributes (``@max_retries 10``) and numeric struct defaults
(``defstruct progress_timeout: 7_200_000``). A candidate matches a canonical key when its name,
normalised (``@default_timeout_ms`` → ``timeout``), is one of the key's aliases and, for keys with
a module hint, its module name contains the hint. Values are compared after unit conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Candidate:
    module: str
    name: str  # "@max_retries" or "progress_timeout" (struct field)
    value: Any
    source: str
    loc: Loc
    from_timer: bool


def _candidates(ctx: Context) -> list[_Candidate]:
    out = []
    for module in ctx.port.modules:
        for attribute in module.attributes.values():
            if isinstance(attribute.literal, int | float) and not isinstance(attribute.literal, bool):
                timer = ":timer." in attribute.value
                out.append(
                    _Candidate(
                        module.name, f"@{attribute.name}", attribute.literal, attribute.value, attribute.loc, timer
                    )
                )
        for field in module.struct or []:
            value = literal_source(field.default, attribute_resolver(module)) if field.default else UNKNOWN
            if isinstance(value, int | float) and not isinstance(value, bool):
                timer = ":timer." in (field.default or "")
                out.append(_Candidate(module.name, field.name, value, field.default or "", field.loc, timer))
    return out


def _match(ctx: Context, constant: Constant, candidates: list[_Candidate]) -> _Candidate | None:
    override = ctx.overrides.name_for(D.value, constant.key)
    if override:
        module, _, name = override.rpartition(".")
        return next((c for c in candidates if c.module == module and c.name == name), None)
    hint, names = ALIASES.get(constant.key, (None, (constant.key.rsplit(".", 1)[-1],)))
    hits = [c for c in candidates if normalise_name(c.name) in names and (hint is None or hint in c.module)]

    def claimed(c: _Candidate) -> bool:  # a more specific key (with a module hint) wants this one
        return any(
            other != constant.key and h is not None and h in c.module and normalise_name(c.name) in ns
            for other, (h, ns) in ALIASES.items()
        )

    hits.sort(key=claimed)
    return hits[0] if hits else None


def _fmt(value: float, unit: str) -> str:
    text = f"{value:g}"
    return f"{text} {unit}" if unit not in ("count", "ratio") else text


def compare_constants(ctx: Context) -> None:
    candidates = _candidates(ctx)
    for constant in ctx.manifest.constants:
        if not ctx.in_scope(D, constant.key):
            continue
        python = py_ev(
            constant.location, f"{constant.source.rsplit(':', 1)[-1]} = {_fmt(constant.value, constant.unit)}"
        )
        found = _match(ctx, constant, candidates)
        ctx.item(D, constant.key, python, port_ev(found.loc) if found else None)
        if found is None:
            ctx.add(
                Finding.make(
                    D,
                    "unlocated",
                    Severity.LOW,
                    constant.key,
                    f"{constant.key} ({constant.description}) was not found in the port",
                    f"Define it as a module attribute (e.g. @{constant.key.rsplit('.', 1)[-1]}) or map it in [names].",
                    python,
                )
            )
            continue
        unit, reason = port_unit(found.name, constant.unit, found.from_timer)
        port_value = to_unit(float(found.value), unit, constant.unit)
        if same_value(port_value, constant.value):
            continue
        hint = ""
        if unit in ("s", "ms") and same_value(float(found.value), constant.value):
            meant = _fmt(constant.value * 1000, "ms")
            hint = f" The port value equals the SDK's in {constant.unit}: it was probably meant as {meant}."
        ctx.add(
            Finding.make(
                D,
                "value",
                Severity.MEDIUM,
                constant.key,
                f"{constant.key}: port {found.module}.{found.name} = {_fmt(float(found.value), unit)} "
                f"({_fmt(port_value, constant.unit)}), SDK {_fmt(constant.value, constant.unit)}",
                f"Set {found.name} to {_fmt(to_unit(constant.value, constant.unit, unit), unit)} ({reason}).{hint}",
                python,
                port_ev(found.loc, f"{found.name} {found.source}"),
            )
        )
