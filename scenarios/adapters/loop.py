"""The adapter side of the JSON-lines protocol, for adapters written in Python (standard library only).

It must stay importable without this project installed: ``python_sdk.py`` runs inside a venv that
has only ``tinker`` and loads this file by path. An adapter supplies a :class:`Driver`; :func:`serve`
writes the hello, then answers each step in order. A step either finishes at once or, with
``"await": false``, is *started* (the SDK call that returns a future is made, so submission order
is kept) and finished by a later ``await`` step. Exceptions become ``{"kind", "message", "status"}``
through the driver's :meth:`Driver.error_of`. Protocol lines go to the real stdout; anything the SDK
prints is redirected to stderr so it cannot corrupt the stream.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import IO, Any, Protocol, cast

__all__ = ["Driver", "Finisher", "ResettableDriver", "Unsupported", "serve"]

Finisher = Callable[[], dict[str, Any]]
# What a reset replaces: the server's address and key, and the runner's per-scenario hints.
RESET_PREFIXES = ("TINKER_", "CLOUDFLARE_ACCESS_CLIENT_")


class Unsupported(Exception):
    """Raise from a driver for a step the SDK cannot express; it is answered with kind ``unsupported``."""


class Driver(Protocol):
    def hello(self) -> dict[str, Any]:
        """``{"name", "version", "sdk_protocol", "capabilities"}`` (``type``/``protocol`` are added)."""

    def start(self, op: str, args: dict[str, Any], name: str | None) -> Finisher:
        """Start ``op`` (``name`` is the step's ``as``); the returned callable blocks until its result is ready."""

    def error_of(self, exc: BaseException) -> dict[str, Any]:
        """The normalised error for an exception raised by ``start`` or a finisher."""


class ResettableDriver(Driver, Protocol):
    def reset(self) -> None:
        """Tear down every client of the scenario as the process's exit would; the next steps start afresh."""


def _answer(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message, default=str) + "\n")
    out.flush()


def _error(driver: Driver, exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, Unsupported):
        return {"kind": "unsupported", "message": str(exc)}
    try:
        error = driver.error_of(exc)
    except Exception as failure:  # a bug in the mapping itself must still produce an answer
        error = {"kind": "adapter_error", "message": f"error_of failed: {failure!r} on {exc!r}"}
    if error.get("kind") == "adapter_error":
        traceback.print_exception(exc, file=sys.stderr)
    return error


def _reset(driver: Driver, env: dict[str, str], pending: dict[str, Finisher]) -> dict[str, Any]:
    """Tear the scenario's clients down, then take the next scenario's environment."""
    pending.clear()
    try:
        cast(ResettableDriver, driver).reset()
    except Exception as exc:  # noqa: BLE001 - reported to the runner, which starts a fresh process
        traceback.print_exception(exc, file=sys.stderr)
        return {"type": "reset", "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    for name in [n for n in os.environ if n.startswith(RESET_PREFIXES)]:
        del os.environ[name]
    os.environ.update(env)
    return {"type": "reset", "ok": True}


def serve(driver: Driver, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """Run the protocol until ``shutdown`` or end of input; returns the exit status (0).

    A driver with a ``reset()`` method announces ``"reset": true`` and is kept across scenarios."""
    out = stdout or sys.stdout
    if stdout is None:
        sys.stdout = sys.stderr  # stray prints from the SDK must not reach the protocol stream
    source = stdin or sys.stdin
    resettable = callable(getattr(driver, "reset", None))
    _answer(out, {"type": "hello", "protocol": 1, **driver.hello(), **({"reset": True} if resettable else {})})
    pending: dict[str, Finisher] = {}
    for line in source:
        if not line.strip():
            continue
        message = json.loads(line)
        if message.get("type") == "shutdown":
            break
        if message.get("type") == "reset" and resettable:
            _answer(out, _reset(driver, dict(message.get("env") or {}), pending))
            continue
        step_id, op, args = message["id"], message["op"], message.get("args", {})
        name, wait = message.get("as"), message.get("await", True)
        try:
            if op == "await":
                finish = pending.pop(args["ref"], None)
                if finish is None:
                    raise Unsupported(f"nothing pending under the name {args['ref']!r}")
                result = finish()
            else:
                finish = driver.start(op, args, name)
                if not wait:
                    pending[str(name)] = finish
                    result = {"pending": True}
                else:
                    result = finish()
            _answer(out, {"type": "result", "id": step_id, "ok": True, "result": result})
        except BaseException as exc:  # noqa: BLE001 - every failure is an answer, never a crash
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            _answer(out, {"type": "result", "id": step_id, "ok": False, "error": _error(driver, exc)})
    return 0
