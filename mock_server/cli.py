"""``tinker-harness``: the command line of the harness.

Each command lives in its own module exposing ``register(subparsers)``; this module only wires
them up. Bad flags or files get a one-line message on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

# Modules that each add one or more subcommands, in help order.
COMMAND_MODULES = ("mock_server.commands", "reports.commands", "mock_server.recording.commands", "scenarios.commands")


class CliParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(prog="tinker-harness", description="Testing and parity harness for the Tinker training API.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=CliParser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    try:
        return int(options.run(options))
    except BrokenPipeError:  # e.g. `tinker-harness openapi | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
