"""HTTP load with ``wrk`` (Debian package ``wrk``): the same load generator for every server under test.

A generated Lua script sets each request (method, path, headers, JSON body, rotating through a list)
and prints one ``WRK_JSON {...}`` line at the end: requests, duration, socket errors, non-2xx/3xx
answers and latency percentiles (wrk records every request's latency in an HDR histogram). A run
lasts a whole number of seconds (wrk's main thread sleeps for the duration whatever the threads do).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.measure import Unavailable

MARKER = "WRK_JSON "


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadRun:
    requests: int
    seconds: float
    errors: int  # socket errors (connect, read, write, timeout) plus answers outside 2xx/3xx
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        return f"{self.rps:,.0f} req/s, p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, {self.errors} errors"


def _lua_string(text: str) -> str:
    level = "="
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


def lua_script(requests: Sequence[Request]) -> str:
    formatted = []
    for r in requests:
        headers = {**r.headers, **({"Content-Type": "application/json"} if r.body is not None else {})}
        table = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
        body = _lua_string(r.body) if r.body is not None else "nil"
        call = f"wrk.format({_lua_string(r.method)}, {_lua_string(r.path)}, {{{table}}}, {body})"
        formatted.append(f"  requests[#requests + 1] = {call}")
    return "\n".join(
        [
            "local requests = {}",
            "local index = 0",
            "function init(args)",
            *formatted,
            "end",
            "function request()",
            "  index = index % #requests + 1",
            "  return requests[index]",
            "end",
            "function done(summary, latency, requests)",
            "  local e = summary.errors",
            "  io.write(string.format('" + MARKER + '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, '
            '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\\n\', '
            "summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, "
            "latency:percentile(50), latency:percentile(99), latency.max))",
            "end",
        ]
    )


def parse_summary(stdout: str) -> LoadRun:
    """The ``WRK_JSON`` line of a run's output."""
    line = next((line for line in stdout.splitlines() if line.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {stdout[-500:]!r}")
    raw = json.loads(line[len(MARKER) :])
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return LoadRun(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=errors,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise Unavailable("the HTTP load generator wrk is not installed (apt-get install wrk)")
    return found


def run_load(
    base_url: str,
    requests: Sequence[Request],
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
) -> LoadRun:
    """Drive ``requests`` (in rotation) at ``base_url`` over ``connections`` keep-alive connections."""
    threads = max(1, min(threads, connections))
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as work:
        script = Path(work) / "load.lua"
        script.write_text(lua_script(requests))
        command = [
            wrk_binary(),
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=10s",
            f"--script={script}",
            base_url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return parse_summary(done.stdout)
