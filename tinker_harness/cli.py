"""``tinker-harness``: the command line of the harness, the top layer of the package.

Each command lives beside what it drives (``mock_server.commands``, ``reports.commands``, ...) and
exposes ``register(subparsers)``; this module only wires them up. Bad flags or files get a one-line
message on stderr and exit status 2: argparse errors through :class:`CliParser`, everything a command
raises about its input (``UsageError``, ``OSError``, decoding and validation errors) here in :func:`main`
through :func:`tinker_harness.contracts.usage_errors.describe`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from tinker_harness.contracts.usage_errors import describe
from tinker_harness.mock_server import commands as server_commands
from tinker_harness.mock_server.recording import commands as recording_commands
from tinker_harness.reports import commands as report_commands
from tinker_harness.reports import sdk_commands
from tinker_harness.reports.certify import commands as certify_commands
from tinker_harness.reports.conformance import commands as conform_commands
from tinker_harness.scenarios import commands as scenario_commands

__all__ = ["build_parser", "main"]

# Modules that each add one or more subcommands, in help order (``cassette`` is wired below).
COMMAND_MODULES = (server_commands, report_commands, sdk_commands, conform_commands, certify_commands)


class CliParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _version() -> str:
    from importlib.metadata import version

    return f"tinker-harness {version('tinker-harness')}"


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(prog="tinker-harness", description="Testing and parity harness for the Tinker training API.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, parser_class=CliParser)
    for module in COMMAND_MODULES:
        module.register(commands)
    # ``record`` and ``cassette check`` belong to the mock's recording; ``cassette to-scenario`` to scenarios.
    scenario_commands.register_cassette_actions(recording_commands.register(commands))
    return parser


def _command_name(options: argparse.Namespace) -> str:
    action = getattr(options, "cassette_command", None)
    return f"tinker-harness {options.command}" + (f" {action}" if action else "")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same ``finally`` blocks remove temporary directories and
    stop adapter subprocesses; :func:`main` then exits 143 (128 + SIGTERM)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return int(options.run(options))
    except BrokenPipeError:  # e.g. `tinker-harness openapi | head`
        sys.stderr.close()
        return 0
    except Terminated:
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the one place misuse becomes one line and exit 2 (contracts.usage_errors)
        message = describe(exc)
        if message is None:
            raise
        print(f"{_command_name(options)}: {message}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
