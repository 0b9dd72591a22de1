"""``tinker-harness conform``: run the scenario catalogue against SDK adapters.

    tinker-harness conform --adapter CMD [--adapter CMD ...] [--known-failing FILE|DIR]
                           [--scenarios PATTERN ...] [--tags CAP ...] [--jobs N] [--out DIR]
                           [--catalog DIR] [--journals DIR] [--parallel-adapters N]

Exit status: 0 when every adapter conforms (listed known failures allowed), 1 when a scenario
fails that is not listed or a listed one passes (the ratchet), 2 for bad flags or files.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tinker_harness.contracts.usage_errors import check_output_dir

__all__ = ["register", "run_conform"]

DEFAULT_OUT = Path("reports/output/conformance")  # git-ignored


def _fail(message: str) -> int:
    print(f"tinker-harness conform: {message}", file=sys.stderr)
    return 2


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of parallel scenarios (1-64), got {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"--jobs must be between 1 and 64, got {value}")
    return value


def run_conform(options: argparse.Namespace) -> int:
    from tinker_harness.reports.conformance import write_reports
    from tinker_harness.reports.conformance.build import build_report
    from tinker_harness.scenarios.adapter_process import AdapterProtocolError, abort_all_adapters, allow_adapters
    from tinker_harness.scenarios.catalog import CATALOG_DIR, load_catalog
    from tinker_harness.scenarios.conform import (
        AdapterRun,
        journal_side,
        keep_journals,
        probe,
        run_adapter,
        split_command,
    )
    from tinker_harness.scenarios.known_failing import load_known_failing
    from tinker_harness.scenarios.progress import Progress
    from tinker_harness.scenarios.yaml_lines import ScenarioFileError

    if options.known_failing is not None and not options.known_failing.exists():
        return _fail(f"--known-failing {options.known_failing}: no such file or directory")
    # Output paths are checked before any scenario runs, not after the run.
    check_output_dir(options.out, "--out")
    if options.journals is not None:
        check_output_dir(options.journals, "--journals")
    try:
        catalog = load_catalog(options.catalog or CATALOG_DIR)
        known = load_known_failing(options.known_failing)
        commands = [split_command(text) for text in options.adapter]
        selected = catalog.select(options.scenarios or [])
    except (ScenarioFileError, ValueError) as exc:
        return _fail(str(exc))
    if options.tags:
        selected = [s for s in selected if set(options.tags) & {*s.requires, s.group}]
    if not selected:
        return _fail(f"no scenario matches {options.scenarios or []} / tags {options.tags or []}")
    hellos = []
    for command in commands:
        try:
            hellos.append(probe(command))
        except AdapterProtocolError as exc:
            return _fail(f"--adapter {' '.join(command)!r}: {exc}")
    if options.journals is not None:
        sides = [journal_side(hello) for hello in hellos]
        if len(set(sides)) != len(sides):
            named = ", ".join(f"{h.name} {h.version} -> {s}/" for h, s in zip(hellos, sides, strict=True))
            return _fail(f"--journals keeps one official SDK (python/) and one port (port/); got {named}")
    parallel = max(1, min(options.parallel_adapters, len(commands)))
    # Adapters' stderr files live here while they run (their tails are kept in the results).
    with tempfile.TemporaryDirectory(prefix="conform-") as scratch:
        work = Path(scratch)

        def run_one(command: list[str], hello: Any) -> AdapterRun:
            progress = Progress(f"{hello.name} {hello.version}", len(selected), tty=False if parallel > 1 else None)
            work_dir = work / (f"{hello.name}-{hello.version}" if parallel > 1 else hello.name)
            run = run_adapter(selected, command, hello, jobs=options.jobs, work_dir=work_dir, on_result=progress.update)
            progress.finish()
            return run

        allow_adapters()
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            try:
                runs: list[AdapterRun] = list(pool.map(run_one, commands, hellos))
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM (cli.Terminated): stop adapters, then let workers end
                abort_all_adapters()
                raise
    report = build_report(selected, catalog, runs, known)
    for path in write_reports(report, options.out):
        print(f"wrote {path}")
    if options.journals is not None:
        try:
            kept = keep_journals(options.journals, runs)
        except OSError as exc:
            return _fail(f"--journals {options.journals}: {exc.strerror or exc}")
        print(f"wrote {len(kept)} journal(s) under {options.journals} (python/ and port/, for parity --journals)")
    for adapter in report.adapters:
        r = adapter.ratchet
        print(f"{adapter.label}: {adapter.count('pass')} pass, {adapter.count('fail') + adapter.count('error')} fail, "
              f"{adapter.count('known-fail')} known-fail, {adapter.count('skip') + adapter.count('unsupported')} "
              f"skipped/unsupported; {len(r.new)} new failure(s), {len(r.closed)} listed but passing")  # fmt: skip
        for scenario_id in r.new:
            print(f"  FAIL {scenario_id}")
        for scenario_id in r.closed:
            print(f"  PASSES BUT LISTED {scenario_id}: take it off {r.baseline}")
    return 0 if report.ok else 1


def register(commands: Any) -> None:
    """Add ``conform`` to the ``tinker-harness`` subcommands."""
    parser = commands.add_parser("conform", help="run the conformance scenarios against SDK adapters")
    parser.add_argument("--adapter", action="append", required=True, metavar="CMD",
                        help="adapter command line (repeat for an SDK x scenario matrix)")  # fmt: skip
    parser.add_argument("--known-failing", type=Path, metavar="PATH", help="allowed failures (YAML file or directory)")
    parser.add_argument("--scenarios", nargs="+", metavar="PATTERN", help="scenario ids or globs (futures/**)")
    parser.add_argument("--tags", nargs="+", metavar="TAG", help="only scenarios requiring one of these capabilities")
    parser.add_argument("--parallel-adapters", type=_jobs, default=1, metavar="N",
                        help="adapters run at once (default 1; e.g. one per SDK version)")  # fmt: skip
    parser.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 2, help="parallel scenarios (default: cores)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"report directory (default {DEFAULT_OUT})")
    parser.add_argument("--catalog", type=Path, help="scenario directory (default scenarios/catalog)")
    journals_help = "keep every scenario's journal: DIR/python/ (official SDK), DIR/port/ (the other adapter)"
    parser.add_argument("--journals", type=Path, metavar="DIR", help=journals_help)
    parser.set_defaults(run=run_conform)
