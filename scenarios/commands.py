"""``tinker-harness cassette to-scenario``: a recording as a conformance scenario file.

::

    tinker-harness cassette to-scenario CASSETTE --out FILE [--id ID] [--force]

Bad input (a malformed cassette, an existing output without ``--force``) is one line on stderr and
exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tinker_harness.mock_server.recording.commands import output_problem

__all__ = ["register_cassette_actions"]


def _fail(command: str, message: str) -> int:
    print(f"tinker-harness {command}: {message}", file=sys.stderr)
    return 2


def _to_scenario(options: argparse.Namespace) -> int:
    from tinker_harness.mock_server.recording.cassette_io import CassetteError, read_cassette
    from tinker_harness.scenarios.from_cassette import ScenarioError, write_scenario

    problem = output_problem(options.out, options.force)
    if problem:
        return _fail("cassette to-scenario", problem)
    try:
        cassette = read_cassette(options.cassette)
        notes = write_scenario(cassette, options.out, scenario_id=options.id)
    except (CassetteError, ScenarioError) as exc:
        return _fail("cassette to-scenario", str(exc))
    print(f"wrote {options.out}" + (f" ({len(notes)} approximation(s) noted at the top)" if notes else ""))
    return 0


def register_cassette_actions(actions: Any) -> None:
    """Add ``to-scenario`` to the ``cassette`` actions (from :func:`mock_server.recording.commands.register`)."""
    convert = actions.add_parser("to-scenario", help="turn a cassette into a conformance scenario file")
    convert.add_argument("cassette", type=Path, metavar="CASSETTE")
    convert.add_argument("--out", required=True, type=Path, help="scenario file to write (YAML)")
    convert.add_argument("--id", help="scenario id (default: recorded/<cassette name>)")
    convert.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    convert.set_defaults(run=_to_scenario)
