"""The mock under the ASGI servers and options a user would consider, for a side-by-side throughput test.

    python -m benchmarks.variants VARIANT PORT

One process, one worker each: the mock's state (sessions, models, futures, journal) lives in the
process's memory, so several workers would each hold different state and a client's calls would
land on different mocks. ``tinker-harness serve`` uses uvicorn with the httptools parser on the asyncio
loop (its own tracked protocol, for transport faults, and a tuned garbage collector); the variants
here run the plain app for comparison.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys

from starlette.types import ASGIApp

# name -> (import needed, description)
VARIANTS: dict[str, tuple[str, str]] = {
    "uvicorn-h11": ("uvicorn", "uvicorn, h11 parser, asyncio loop"),
    "uvicorn-httptools": ("httptools", "uvicorn, httptools parser, asyncio loop (the parser of tinker-harness serve)"),
    "uvicorn-uvloop-httptools": ("uvloop", "uvicorn, httptools parser, uvloop loop"),
    "granian": ("granian", "granian (Rust HTTP server), asyncio loop, 1 worker"),
    "hypercorn": ("hypercorn", "hypercorn, asyncio loop"),
}


def installed(variant: str) -> bool:
    needed = VARIANTS[variant][0]
    return importlib.util.find_spec(needed) is not None and (
        not variant.endswith("httptools") or importlib.util.find_spec("httptools") is not None
    )


def build_app() -> ASGIApp:
    from tinker_harness.mock_server.app import MockServer

    return MockServer().app


def serve(variant: str, port: int) -> None:
    if variant.startswith("uvicorn"):
        import uvicorn

        http = "h11" if variant == "uvicorn-h11" else "httptools"
        loop = "uvloop" if "uvloop" in variant else "asyncio"
        uvicorn.run(build_app(), host="127.0.0.1", port=port, http=http, loop=loop, lifespan="off", log_level="warning")
    elif variant == "granian":
        args = ["--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        args += ["--loop", "asyncio", "--log-level", "warning", "--no-ws", "--factory", "benchmarks.variants:build_app"]
        os.execv(sys.executable, [sys.executable, "-m", "granian", *args])
    elif variant == "hypercorn":
        from hypercorn.asyncio import serve as hypercorn_serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.loglevel = "WARNING"
        asyncio.run(hypercorn_serve(build_app(), config))  # type: ignore[arg-type]
    else:
        raise SystemExit(f"unknown variant {variant!r}; choose from {list(VARIANTS)}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in VARIANTS:
        print(f"usage: python -m benchmarks.variants {{{','.join(VARIANTS)}}} PORT", file=sys.stderr)
        raise SystemExit(2)
    serve(sys.argv[1], int(sys.argv[2]))
