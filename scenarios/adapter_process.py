"""One adapter process: start it, read its hello, exchange steps and results as JSON lines, stop it.

The framing of ``docs/adapter-protocol.md``: every message is one JSON object on one line. A
reader thread turns the adapter's stdout into lines; anything that is not a well-formed message of
the expected kind (not JSON, the wrong ``id``, an unknown error kind, a line that never comes, an
exit before answering) raises :class:`AdapterProtocolError` naming the step and quoting the line,
together with the tail of the adapter's stderr (which goes to a file, so it never blocks). A line
that is not JSON is diagnosed: build-tool output (``==> dep``, ``Compiling ...``) and log lines
(``12:00:01.123 [warning] ...``) name their likely cause, since stdout must carry protocol lines only.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError

from tinker_harness.scenarios.protocol import PROTOCOL_VERSION, Hello, ResetAnswer, ResultMessage, StepMessage

__all__ = ["AdapterProcess", "AdapterProtocolError"]

_EOF = object()
_STDERR_TAIL = 2000


class AdapterProtocolError(RuntimeError):
    """The adapter broke the protocol; the message says how and quotes what it sent."""


def _quote(line: bytes | str) -> str:
    text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
    text = text.rstrip("\n")
    return repr(text if len(text) <= 200 else text[:197] + "...")


_BUILD_OUTPUT = re.compile(
    r"^(==> \S|Compiling \d|Generated \S|Unchecked dependencies|Resolving Hex|All dependencies|Running ExUnit)"
)
_LOG_LINE = re.compile(
    r"^(\s*\d{2}:\d{2}:\d{2}(\.\d+)?\s+\[?(debug|info|notice|warn|warning|error|critical)\]?"
    r"|\s*\[(debug|info|notice|warn|warning|error|critical)\]"
    r"|(DEBUG|INFO|WARNING|ERROR|CRITICAL):[\w.]*:"
    r"|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})",
    re.IGNORECASE,
)


def _likely_cause(line: bytes) -> str:
    """What probably printed a non-protocol line on the adapter's stdout."""
    text = line.decode("utf-8", errors="replace").strip()
    if _BUILD_OUTPUT.match(text):
        return "build-tool output (e.g. Mix compiling or checking dependencies: compile first, run without compiling)"
    if _LOG_LINE.match(text):
        return "log output (route the SDK's logger to stderr)"
    return "SDK, logger or build-tool output"


def _not_json(line: bytes, waiting_for: str) -> AdapterProtocolError:
    cause = _likely_cause(line)
    if waiting_for == "hello":
        return AdapterProtocolError(
            f"hello: the adapter printed {_quote(line)} (not JSON) on stdout before its hello line; stdout must carry "
            f"protocol lines only and this looks like {cause} (docs/adapter-protocol.md, Process)"
        )
    return AdapterProtocolError(
        f"{waiting_for}: the adapter sent a line that is not JSON: {_quote(line)}; this looks like {cause}"
    )


_Message = TypeVar("_Message", bound=BaseModel)


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "(message)"
    return f"{where}: {first['msg']}"


_live: set[AdapterProcess] = set()
_live_lock = threading.Lock()
_aborted = threading.Event()


def abort_all_adapters() -> None:
    """Stop every running adapter and refuse new ones (an interrupted run: Ctrl-C or SIGTERM)."""
    _aborted.set()
    with _live_lock:
        running = list(_live)
    for adapter in running:
        adapter.stop(1.0)


def adapters_aborted() -> bool:
    """Whether :func:`abort_all_adapters` stopped this run."""
    return _aborted.is_set()


def allow_adapters() -> None:
    """Undo :func:`abort_all_adapters` before a new run in the same process."""
    _aborted.clear()


class AdapterProcess:
    """A running adapter; use :meth:`start`, :meth:`hello`, :meth:`request`, then :meth:`stop`."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str], stderr_path: Path) -> None:
        self.command = list(command)
        self.env = dict(env)
        self.stderr_path = stderr_path
        self._process: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[object] = queue.Queue()
        self._stderr: IO[bytes] | None = None

    def start(self) -> AdapterProcess:
        if _aborted.is_set():
            raise AdapterProtocolError(f"not starting adapter {self.command!r}: the run was interrupted")
        self._stderr = self.stderr_path.open("wb")
        try:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=self.env,
                start_new_session=True,
            )
        except OSError as exc:
            self._stderr.close()
            raise AdapterProtocolError(f"cannot start adapter {self.command!r}: {exc.strerror or exc}") from None
        threading.Thread(target=self._read, name="adapter-stdout", daemon=True).start()
        with _live_lock:
            _live.add(self)
        return self

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        with self._process.stdout:  # closed at EOF, when the adapter has exited
            for line in self._process.stdout:
                self._lines.put(line)
        self._lines.put(_EOF)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stderr_size(self) -> int:
        """How much the adapter has written to stderr so far (to take the tail of one scenario only)."""
        try:
            return self.stderr_path.stat().st_size
        except OSError:
            return 0

    def stderr_tail(self, since: int = 0) -> str:
        try:
            data = self.stderr_path.read_bytes()[since:]
        except OSError:
            return ""
        return data[-_STDERR_TAIL:].decode("utf-8", errors="replace")

    def _next_line(self, timeout: float, waiting_for: str) -> bytes:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AdapterProtocolError(f"no answer to {waiting_for} within {timeout:g} s") from None
        if line is _EOF:
            assert self._process is not None
            try:
                code = self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            raise AdapterProtocolError(f"the adapter closed its output (exit status {code}) before {waiting_for}")
        assert isinstance(line, bytes)
        return line

    def _decode(self, line: bytes, waiting_for: str) -> dict[str, Any]:
        try:
            message = json.loads(line)
        except ValueError:
            raise _not_json(line, waiting_for) from None
        if not isinstance(message, dict):
            raise AdapterProtocolError(f"{waiting_for}: the adapter sent {_quote(line)}, not a JSON object")
        return message

    def _receive(self, model: type[_Message], timeout: float, waiting_for: str, what: str) -> tuple[_Message, bytes]:
        """The next line, decoded and validated as ``model``; an invalid one names ``what`` and the line."""
        line = self._next_line(timeout, waiting_for)
        message = self._decode(line, what.removeprefix("answer to "))
        try:
            return model.model_validate(message), line
        except ValidationError as exc:
            raise AdapterProtocolError(f"invalid {what} {_quote(line)}: {_first_problem(exc)}") from None

    def hello(self, timeout: float = 60.0) -> Hello:
        hello, _ = self._receive(Hello, timeout, "the hello line", "hello")
        if hello.protocol != PROTOCOL_VERSION:
            raise AdapterProtocolError(
                f"the adapter speaks protocol {hello.protocol}; this runner speaks {PROTOCOL_VERSION}"
            )
        return hello

    def request(self, step: StepMessage, timeout: float) -> ResultMessage:
        """Send one step and wait for its result line."""
        what = f"step {step.id} ({step.op})"
        self._send(step.model_dump(mode="json", by_alias=True))
        result, line = self._receive(ResultMessage, timeout, f"the result of {what}", f"result of {what}")
        if result.id != step.id:
            raise AdapterProtocolError(
                f"the adapter answered step {result.id} while {what} was waiting: {_quote(line)}"
            )
        return result

    def reset(self, env: Mapping[str, str], timeout: float = 60.0) -> None:
        """End the scenario's clients and take ``env`` for the next one (adapters whose hello says ``reset``)."""
        self._send({"type": "reset", "env": dict(env)})
        answer, _ = self._receive(ResetAnswer, timeout, "the answer to reset", "answer to reset")
        if not answer.ok:
            raise AdapterProtocolError(f"the adapter could not reset: {answer.error}")

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(message).encode() + b"\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise AdapterProtocolError(f"the adapter stopped reading its input (sending {message.get('op')})") from None

    def stop(self, timeout: float = 15.0) -> int | None:
        """Ask for shutdown, wait ``timeout`` seconds, then kill; returns the exit status."""
        process = self._process
        if process is None:
            return None
        with _live_lock:
            _live.discard(self)
        try:
            if process.poll() is None:
                try:
                    self._send({"type": "shutdown"})
                    assert process.stdin is not None
                    process.stdin.close()
                except (AdapterProtocolError, OSError):
                    pass
                deadline = time.monotonic() + timeout
                while process.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
            if process.poll() is None:
                self._kill(process)
            return process.returncode
        finally:
            if process.stdin is not None and not process.stdin.closed:
                try:
                    process.stdin.close()
                except OSError:  # the adapter died with unread input in the pipe
                    pass
            if self._stderr is not None:
                self._stderr.close()

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(process.pid, 9)  # the adapter's own process group (start_new_session)
        except OSError:
            process.kill()
        process.wait(10)
