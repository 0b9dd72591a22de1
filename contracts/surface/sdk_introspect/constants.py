"""Behavioural constants of the SDK (retries, backoff, timeouts, heartbeat, chunk limits).

Which constants matter is a fixed list of canonical, language-neutral keys; each key says *where*
its value lives (a named assignment, a keyword of a call, a dataclass or pydantic field default,
or a pattern in one module's source). The value itself is always read from the installed package,
so a newer or older SDK yields its own numbers, and a key whose source is gone is noted, not guessed.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import operator
import re
from collections.abc import Callable
from typing import Any

from ._common import SourceFile, SourceIndex, location

__all__ = ["SPECS", "collect"]

# (key, unit, description, locator). Locators:
#   ("name", file, NAME)             an assignment NAME = <number expression> anywhere in the file
#   ("call_kw", file, NAME, keyword) NAME = f(..., keyword=<number>)
#   ("field", module, Class, field)  dataclass or pydantic field default
#   ("pattern", file, regex)         first match of regex in the file source; group 1 is the number
SPECS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("http.timeout", "s", "default request timeout", ("call_kw", "tinker/_constants.py", "DEFAULT_TIMEOUT", "timeout")),
    ("http.connect_timeout", "s", "connect timeout", ("call_kw", "tinker/_constants.py", "DEFAULT_TIMEOUT", "connect")),
    (
        "http.max_retries",
        "count",
        "HTTP-layer retries per request",
        ("name", "tinker/_constants.py", "DEFAULT_MAX_RETRIES"),
    ),
    (
        "http.retry_initial_delay",
        "s",
        "first HTTP retry delay",
        ("name", "tinker/_constants.py", "INITIAL_RETRY_DELAY"),
    ),
    ("http.retry_max_delay", "s", "HTTP retry delay cap", ("name", "tinker/_constants.py", "MAX_RETRY_DELAY")),
    (
        "http.retry_jitter",
        "ratio",
        "HTTP retry jitter (delay × (1 − j·rand))",
        ("pattern", "tinker/_base_client.py", r"jitter\s*=\s*1\s*-\s*([0-9.]+)\s*\*\s*random\(\)"),
    ),
    (
        "http.max_connections",
        "count",
        "connection pool size",
        ("call_kw", "tinker/_constants.py", "DEFAULT_CONNECTION_LIMITS", "max_connections"),
    ),
    (
        "http.max_keepalive_connections",
        "count",
        "idle keep-alive connections",
        ("call_kw", "tinker/_constants.py", "DEFAULT_CONNECTION_LIMITS", "max_keepalive_connections"),
    ),
    (
        "holder.retry_window",
        "s",
        "total window of client-level retries",
        ("name", "tinker/lib/internal_client_holder.py", "MAX_WAIT_TIME"),
    ),
    (
        "holder.backoff_cap",
        "s",
        "client-level retry backoff cap (min(2**n, cap))",
        ("pattern", "tinker/lib/internal_client_holder.py", r"min\(\s*2\s*\*\*\s*\w+\s*,\s*([0-9.]+)\s*\)"),
    ),
    (
        "holder.connection_error_retries",
        "count",
        "budget of Cloudflare-reject retries",
        ("name", "tinker/lib/internal_client_holder.py", "MAX_CONNECTION_ERROR_RETRIES"),
    ),
    (
        "heartbeat.interval",
        "s",
        "session heartbeat period",
        ("name", "tinker/lib/internal_client_holder.py", "SESSION_HEARTBEAT_PERIOD_SEC"),
    ),
    (
        "heartbeat.missed_warning",
        "s",
        "warn after this long without a heartbeat",
        ("name", "tinker/lib/internal_client_holder.py", "SESSION_MISSED_HEARTBEAT_WARNING_THRESHOLD_SEC"),
    ),
    (
        "futures.poll_timeout",
        "s",
        "read timeout of one retrieve_future long-poll",
        ("pattern", "tinker/lib/api_future_impl.py", r"timeout\s*=\s*([0-9.]+)\s*,"),
    ),
    (
        "futures.backoff_cap",
        "s",
        "retrieve_future backoff cap on 429/connection errors",
        ("pattern", "tinker/lib/api_future_impl.py", r"min\(\s*2\s*\*\*\s*[\w.]+\s*,\s*([0-9.]+)\s*\)"),
    ),
    (
        "futures.max_bad_request_retries",
        "count",
        "retries of a 400 on retrieve_future",
        ("name", "tinker/lib/api_future_impl.py", "_MAX_BAD_REQUEST_RETRIES"),
    ),
    (
        "sampling.progress_timeout",
        "s",
        "sampling stuck-detection timeout",
        ("field", "tinker.lib.retry_handler", "RetryConfig", "progress_timeout"),
    ),
    (
        "sampling.retry_delay_base",
        "s",
        "sampling retry base delay",
        ("field", "tinker.lib.retry_handler", "RetryConfig", "retry_delay_base"),
    ),
    (
        "sampling.retry_delay_max",
        "s",
        "sampling retry delay cap",
        ("field", "tinker.lib.retry_handler", "RetryConfig", "retry_delay_max"),
    ),
    (
        "sampling.jitter_factor",
        "ratio",
        "sampling retry jitter factor",
        ("field", "tinker.lib.retry_handler", "RetryConfig", "jitter_factor"),
    ),
    (
        "sampling.max_connections",
        "count",
        "sampling concurrency limit (client default)",
        ("field", "tinker.lib.retry_handler", "RetryConfig", "max_connections"),
    ),
    (
        "fwdbwd.max_chunk_len",
        "count",
        "datums per forward/backward chunk",
        ("field", "tinker.types.client_config_response", "ClientConfigResponse", "fwdbwd_max_chunk_len"),
    ),
    (
        "fwdbwd.max_chunk_bytes",
        "bytes",
        "estimated bytes per forward/backward chunk",
        ("field", "tinker.types.client_config_response", "ClientConfigResponse", "fwdbwd_max_chunk_bytes_count"),
    ),
    (
        "fwdbwd.dispatch_bytes",
        "bytes",
        "in-flight forward/backward bytes",
        (
            "field",
            "tinker.types.client_config_response",
            "ClientConfigResponse",
            "fwdbwd_dispatch_bytes_semaphore_size",
        ),
    ),
    (
        "sampling.dispatch_bytes",
        "bytes",
        "in-flight sampling request bytes",
        (
            "field",
            "tinker.types.client_config_response",
            "ClientConfigResponse",
            "sample_dispatch_bytes_semaphore_size",
        ),
    ),
    (
        "futures.inflight_response_bytes",
        "bytes",
        "in-flight future result bytes",
        (
            "field",
            "tinker.types.client_config_response",
            "ClientConfigResponse",
            "inflight_response_bytes_semaphore_size",
        ),
    ),
    (
        "sampling.max_concurrent_requests",
        "count",
        "server default for concurrent samples",
        ("field", "tinker.types.client_config_response", "ClientConfigResponse", "sample_max_concurrent_requests"),
    ),
    (
        "billing.max_pause",
        "s",
        "longest silent wait on 402 billing pauses",
        (
            "field",
            "tinker.types.client_config_response",
            "ClientConfigResponse",
            "billing_exception_max_pause_duration_sec",
        ),
    ),
    (
        "dynamic_config.refresh_interval",
        "s",
        "dynamic config refresh period",
        ("field", "tinker.types.client_dynamic_config_response", "ClientDynamicConfigResponse", "refresh_interval_sec"),
    ),
    (
        "dynamic_config.min_refresh_interval",
        "s",
        "lower bound of the refresh period",
        ("name", "tinker/lib/internal_client_holder.py", "MIN_REFRESH_INTERVAL_SEC"),
    ),
    ("telemetry.flush_interval", "s", "telemetry flush period", ("name", "tinker/lib/telemetry.py", "FLUSH_INTERVAL")),
    ("telemetry.flush_timeout", "s", "telemetry drain timeout", ("name", "tinker/lib/telemetry.py", "FLUSH_TIMEOUT")),
    (
        "telemetry.max_batch_size",
        "count",
        "events per telemetry batch",
        ("name", "tinker/lib/telemetry.py", "MAX_BATCH_SIZE"),
    ),
    ("telemetry.max_queue_size", "count", "telemetry queue cap", ("name", "tinker/lib/telemetry.py", "MAX_QUEUE_SIZE")),
    (
        "telemetry.http_timeout",
        "s",
        "telemetry request timeout",
        ("name", "tinker/lib/telemetry.py", "HTTP_TIMEOUT_SECONDS"),
    ),
    (
        "rest.trace_export_poll_interval",
        "s",
        "session trace export poll period",
        ("name", "tinker/lib/public_interfaces/rest_client.py", "_TRACE_EXPORT_POLL_INTERVAL_SECONDS"),
    ),
    (
        "jwt.refresh_on_demand",
        "s",
        "refresh a JWT on demand when this little is left",
        ("name", "tinker/lib/_jwt_auth.py", "_REFRESH_ON_DEMAND_SECS"),
    ),
    (
        "jwt.refresh_retry_delay",
        "s",
        "delay after a failed JWT refresh",
        ("name", "tinker/lib/_jwt_auth.py", "_RETRY_DELAY_SECS"),
    ),
)

_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}


def _number(node: ast.expr | None) -> float | None:
    """The value of a constant arithmetic expression (``60 * 5``), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _number(node.left), _number(node.right)
        if left is not None and right is not None:
            return float(_OPS[type(node.op)](left, right))
    return None


def _assignment(source: SourceFile, name: str) -> tuple[ast.expr, int] | None:
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return node.value, node.lineno
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            if node.value is not None:
                return node.value, node.lineno
    return None


def _locate(index: SourceIndex, locator: tuple[str, ...]) -> tuple[float, str, dict[str, Any]] | None:
    kind = locator[0]
    if kind in ("name", "call_kw", "pattern"):
        source = index.by_suffix(locator[1])
        if source is None:
            return None
        if kind == "pattern":
            match = re.search(locator[2], source.text)
            if match is None:
                return None
            line = source.text.count("\n", 0, match.start()) + 1
            return float(match.group(1)), f"{locator[1]}:/{locator[2]}/", location(source.path, line)
        found = _assignment(source, locator[2])
        if found is None:
            return None
        value_node, line = found
        if kind == "call_kw":
            if not isinstance(value_node, ast.Call):
                return None
            keyword = next((k for k in value_node.keywords if k.arg == locator[3]), None)
            value_node = keyword.value if keyword is not None else None  # type: ignore[assignment]
        value = _number(value_node)
        suffix = f".{locator[3]}" if kind == "call_kw" else ""
        return (
            None if value is None else (float(value), f"{locator[1]}:{locator[2]}{suffix}", location(source.path, line))
        )
    if kind == "field":
        return _field(index, locator[1], locator[2], locator[3])
    return None


def _field(
    index: SourceIndex, module_name: str, class_name: str, field: str
) -> tuple[float, str, dict[str, Any]] | None:
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        return None
    value: Any = None
    if dataclasses.is_dataclass(cls):
        match = next((f for f in dataclasses.fields(cls) if f.name == field), None)
        value = match.default if match is not None else None
    elif hasattr(cls, "model_fields") and field in cls.model_fields:
        value = cls.model_fields[field].default
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    source = index.files.get(module_name)
    line = 0
    if source is not None:
        for node in ast.walk(source.tree):
            if isinstance(node, ast.ClassDef) and node.name == class_name:
                for item in node.body:
                    if (
                        isinstance(item, ast.AnnAssign)
                        and isinstance(item.target, ast.Name)
                        and item.target.id == field
                    ):
                        line = item.lineno
    path = source.path if source is not None else module_name
    return float(value), f"{module_name}.{class_name}.{field}", location(path, line)


def collect(index: SourceIndex, notes: list[str]) -> list[dict[str, Any]]:
    out = []
    for key, unit, description, locator in SPECS:
        found = _locate(index, locator)
        if found is None:
            notes.append(f"constants: {key} not found ({' '.join(locator)})")
            continue
        value, source, loc = found
        out.append(
            {"key": key, "value": value, "unit": unit, "source": source, "description": description, "location": loc}
        )
    return sorted(out, key=lambda c: c["key"])
