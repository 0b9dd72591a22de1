"""Misuse as one line: the errors a user's flags or files cause, rendered for the command line.

Every layer raises :class:`UsageError` (or lets an ``OSError``, a decoding error or a pydantic
``ValidationError`` about a user's file propagate); the CLI turns each into one line on stderr
and exit status 2 with :func:`describe`. Output paths are checked with :func:`check_output_file`
and :func:`check_output_dir` before a long run starts, not after it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import ValidationError

__all__ = [
    "UsageError",
    "check_output_dir",
    "check_output_file",
    "describe",
    "one_line",
    "port_number",
    "read_user_text",
    "validation_line",
]


class UsageError(Exception):
    """A bad flag or file: the message is the whole story (one line, exit status 2)."""


def one_line(text: str) -> str:
    """Collapse a multi-line message (YAML marks, pydantic dumps) into one line."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def validation_line(exc: ValidationError, source: str) -> str:
    """``source: field.path: problem; other.field: problem``, without pydantic's URLs and dumps."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{loc}: {message}" if loc else message)
    return f"{source}: " + "; ".join(problems)


def _os_line(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename is not None else reason


def describe(exc: BaseException) -> str | None:
    """The one line for an error caused by the user's input, or None for a bug (let it raise)."""
    if isinstance(exc, UsageError):
        return one_line(str(exc))
    if isinstance(exc, ValidationError):
        return one_line(validation_line(exc, exc.title))
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    if isinstance(exc, OSError):
        return _os_line(exc)
    if isinstance(exc, yaml.YAMLError | json.JSONDecodeError):
        return f"not valid YAML/JSON: {one_line(str(exc))}"
    return None


def read_user_text(path: Path, error: Callable[[str], Exception], what: str = "") -> str:
    """A user's UTF-8 file, or ``error("<path>: cannot read<what>: <reason>")`` / ``error("<path>: not UTF-8
    text")`` (``what`` names the file's kind, e.g. ``" fault plan"``)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read{what}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None


def check_output_file(path: Path, flag: str) -> None:
    """Fail now if ``path`` cannot be written as a file (a directory, a missing or read-only parent)."""
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a directory")
    if not path.parent.is_dir():
        raise UsageError(f"{flag} {path}: directory {path.parent} does not exist")
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):  # the real test: permissions, read-only or virtual filesystems
            pass
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write: {exc.strerror or exc}") from None
    if not existed:
        path.unlink(missing_ok=True)


def check_output_dir(path: Path, flag: str) -> None:
    """Fail now if ``path`` cannot be a writable directory (created later: nothing is made here)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path}: not a directory")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{flag} {path}: {existing} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write in {existing}: {exc.strerror or exc}") from None


def port_number(text: str) -> int:
    """An ``argparse`` type for ``--port``: 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number (0-65535), got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number (0-65535), got {value}")
    return value
