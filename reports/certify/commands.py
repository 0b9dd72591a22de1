"""``tinker-harness certify``: judge any running Tinker-compatible server with every SDK generation.

    tinker-harness certify --base-url URL [--api-key KEY] [--header 'Name: value' ...]
                           [--versions 0.15.0 0.38.0 ...] [--base-model NAME] [--scenarios PATTERN ...]
                           [--no-scenarios] [--no-checks] [--jobs N] [--out DIR]

Writes certify.md, certify.html, certify.json and certify.junit.xml under ``--out``. Exit status:
0 when every judged feature of every generation passes and no server check fails, 1 otherwise,
2 for bad flags or a server that cannot be reached.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tinker_harness.contracts.usage_errors import check_output_dir

__all__ = ["register", "run_certify"]

DEFAULT_OUT = Path("reports/output/certify")  # git-ignored


def _fail(message: str) -> int:
    print(f"tinker-harness certify: {message}", file=sys.stderr)
    return 2


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"--header {text!r}: expected 'Name: value'")
    return name.strip(), value.strip()


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"--base-url {text!r}: expected http(s)://host[:port]")
    return text.rstrip("/")


def _jobs(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 32:
        raise argparse.ArgumentTypeError(f"--jobs must be between 1 and 32, got {value}")
    return value


def run_certify(options: argparse.Namespace) -> int:
    from tinker_harness.reports.certify.model import build_certify_report
    from tinker_harness.reports.certify.render import write_certify_reports
    from tinker_harness.scenarios.certify.features import verified_generations
    from tinker_harness.scenarios.certify.run import CertifyOptions, certify

    check_output_dir(options.out, "--out")  # before any SDK venv is built or server contacted
    api_key = options.api_key or os.environ.get("TINKER_API_KEY")
    if not api_key:
        return _fail("no API key: pass --api-key or set TINKER_API_KEY")
    if not api_key.startswith(("tml-", "eyJ")):
        return _fail(
            "the official SDK refuses an API key that does not start with 'tml-' (tinker/_client.py:87 in 0.15.0, "
            "tinker/lib/_auth_token_provider.py:64 in 0.38.0): give the server one that does"
        )
    versions = tuple(options.versions or verified_generations())
    with tempfile.TemporaryDirectory(prefix="certify-") as scratch:
        run_options = CertifyOptions(
            base_url=options.base_url, api_key=api_key, versions=versions, work_dir=Path(scratch),
            extra_headers=dict(options.header or []), base_model=options.base_model, jobs=options.jobs,
            scenarios=not options.no_scenarios, checks=not options.no_checks,
            scenario_patterns=tuple(options.scenarios or ()),
        )  # fmt: skip
        try:
            run = certify(run_options, log=lambda line: print(line, file=sys.stderr, flush=True))
        except (ConnectionError, OSError) as exc:
            return _fail(f"cannot certify {options.base_url}: {exc}")
    report = build_certify_report(run)
    for path in write_certify_reports(report, options.out):
        print(f"wrote {path}")
    for version in report.versions:
        passed, judged = report.score(version)
        problem = report.problems.get(version)
        print(f"tinker {version}: {passed}/{judged} features pass" + (f"; {problem}" if problem else ""))
    for check in report.checks:
        print(f"server check {check.id}: {check.status}")
    print("PASS" if report.ok else f"FAIL: {len(report.failures)} failure(s), see {options.out / 'certify.md'}")
    return 0 if report.ok else 1


def register(commands: Any) -> None:
    """Add ``certify`` to the ``tinker-harness`` subcommands."""
    parser = commands.add_parser("certify", help="certify a running Tinker-compatible server against SDK generations")
    parser.add_argument("--base-url", type=_url, required=True, help="the server under test (http://127.0.0.1:8000)")
    parser.add_argument("--api-key", help="API key (default: $TINKER_API_KEY)")
    parser.add_argument("--header", type=_header, action="append", metavar="'NAME: VALUE'",
                        help="extra header on every request (repeat)")  # fmt: skip
    parser.add_argument("--versions", nargs="+", metavar="X.Y.Z", help="SDK versions (default: the verified ones)")
    parser.add_argument("--base-model", help="base model to train (default: Qwen/Qwen3-8B if served, else the first)")
    parser.add_argument("--scenarios", nargs="+", metavar="PATTERN", help="only these catalogue scenarios (globs)")
    parser.add_argument("--no-scenarios", action="store_true", help="only the SDK flow and the server checks")
    parser.add_argument("--no-checks", action="store_true", help="skip the server-side checks")
    parser.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 2, help="parallel scenarios (default: cores)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"report directory (default {DEFAULT_OUT})")
    parser.set_defaults(run=run_certify)
