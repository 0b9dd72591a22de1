"""``tinker-harness parity`` and ``tinker-harness manifest``.

    tinker-harness manifest --sdk-version 0.38.0 [--python PY] [--output FILE] [--check]
    tinker-harness parity --python-sdk 0.38.0 --port PATH [--journals DIR] [--output DIR]
                          [--overrides FILE] [--known-gaps FILE] [--update-known-gaps] [--fail-on-new]

Bad input (a missing port directory, a malformed overrides or known-gaps file, an SDK version
that cannot be installed) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tinker_harness.contracts.usage_errors import check_output_dir, check_output_file

__all__ = ["register"]


def _fail(command: str, message: str) -> int:
    print(f"tinker-harness {command}: {message}", file=sys.stderr)
    return 2


def _manifest(options: argparse.Namespace) -> int:
    from tinker_harness.contracts.surface.driver import ManifestError, generate, manifest_path, render
    from tinker_harness.scenarios.sdk_envs import SdkEnvError, interpreter_for

    target: Path = options.output or manifest_path(options.sdk_version)
    if not options.check:
        check_output_file(target, "--output")
    try:
        text = render(generate(options.sdk_version, interpreter_for(options.sdk_version, options.python)))
    except SdkEnvError as exc:
        return _fail("manifest", f"no interpreter with tinker=={options.sdk_version}: {exc}")
    except ManifestError as exc:
        return _fail("manifest", str(exc))
    if options.check:
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            print(f"tinker-harness manifest: {target} is stale; regenerate it without --check", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def _parity(options: argparse.Namespace) -> int:
    from tinker_harness.contracts.surface.driver import ManifestError
    from tinker_harness.reports.behaviour import JournalError
    from tinker_harness.reports.mapping.overrides import OverridesError
    from tinker_harness.reports.parity import run_parity
    from tinker_harness.reports.ratchet import KnownGapsError

    port: Path = options.port
    if not port.is_dir():
        return _fail("parity", f"--port {port}: not a directory")
    if options.journals is not None and not options.journals.is_dir():
        return _fail("parity", f"--journals {options.journals}: not a directory")
    if options.overrides is not None and not options.overrides.is_file():
        return _fail("parity", f"--overrides {options.overrides}: no such file")
    check_output_dir(options.output, "--output")
    try:
        run = run_parity(
            options.python_sdk,
            port,
            output=options.output,
            journals=options.journals,
            overrides_path=options.overrides,
            known_gaps=options.known_gaps,
            update_known_gaps=options.update_known_gaps,
            python=options.python,
        )
    except (ManifestError, OverridesError, KnownGapsError, JournalError) as exc:
        return _fail("parity", str(exc))
    report = run.report
    counts = {s: sum(d.counts[s] for d in report.summary) for s in ("critical", "high", "medium", "low")}
    print(
        f"{report.total_gaps} gaps ({', '.join(f'{n} {s}' for s, n in counts.items())}); "
        f"{len(report.ratchet.new)} new, {len(report.ratchet.closed)} closed; {report.facts.seconds:.2f} s"
    )
    for path in (run.markdown, run.html, run.json):
        print(f"  {path}")
    if report.facts.parse_problems:
        print(f"  {len(report.facts.parse_problems)} port file(s) did not parse (listed in the report)")
    return 1 if options.fail_on_new and report.ratchet.new else 0


def register(commands: Any) -> None:
    manifest = commands.add_parser("manifest", help="generate the surface manifest of an official SDK version")
    manifest.add_argument("--sdk-version", required=True, help="tinker version to introspect, e.g. 0.38.0")
    manifest.add_argument(
        "--python", type=Path, help="interpreter with that tinker installed (default: found or created)"
    )
    manifest.add_argument(
        "--output", type=Path, help="manifest file (default contracts/surface/manifests/tinker-V.json)"
    )
    manifest.add_argument(
        "--check", action="store_true", help="exit 1 if the stored manifest differs instead of writing"
    )
    manifest.set_defaults(run=_manifest)

    parity = commands.add_parser("parity", help="write the parity gap report of an Elixir port against the Python SDK")
    parity.add_argument("--python-sdk", required=True, metavar="VERSION", help="official SDK version, e.g. 0.38.0")
    parity.add_argument("--port", required=True, type=Path, help="checkout of the Elixir port")
    parity.add_argument(
        "--journals", type=Path, help="directory with python/ and port/ JSONL journals of the same scenarios"
    )
    parity.add_argument(
        "--output", type=Path, default=Path("reports/output"), help="report directory (default reports/output)"
    )
    parity.add_argument("--overrides", type=Path, help="overrides TOML (default PORT/.tinker-parity.toml if present)")
    parity.add_argument("--known-gaps", type=Path, help="known-gaps baseline (default OUTPUT/known-gaps.json)")
    parity.add_argument("--update-known-gaps", action="store_true", help="rewrite the baseline with this run's gaps")
    parity.add_argument("--fail-on-new", action="store_true", help="exit 1 when there are gaps not in the baseline")
    parity.add_argument("--python", type=Path, help="interpreter with the SDK installed (default: found or created)")
    parity.set_defaults(run=_parity)
