"""``tinker-harness sdk-diff`` and ``tinker-harness sdk-generations``.

    tinker-harness sdk-diff A B [--output DIR] [--format markdown|html|json] [--fail-on breaking|servers|ports]
                                [--from-wheels]
    tinker-harness sdk-generations [--write | --check] [--profiles] [--refresh-dates]

``sdk-diff`` prints the wire changelog from SDK version A to B (Markdown by default) or, with
``--output``, writes ``sdk-diff-A-B.{md,html,json}`` there; ``--fail-on breaking`` exits 1 when a
change is breaking for servers or ports (``servers`` / ``ports``: for that side only). Versions with
a stored profile are read from it, others (or all, with ``--from-wheels``) from their wheels, which
``pip download`` fetches into ``$TINKER_HARNESS_WHEELS``. ``sdk-generations`` regenerates
``docs/sdk-generations.md`` (and with ``--profiles`` the stored profiles, from the wheels);
``--check`` exits 1 when a committed file is stale. Usage errors: one line, exit 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def _fail(command: str, message: str) -> int:
    print(f"tinker-harness {command}: {message}", file=sys.stderr)
    return 2


def _sdk_diff(options: argparse.Namespace) -> int:
    from tinker_harness.contracts.surface.driver import ManifestError
    from tinker_harness.contracts.surface.profile import load_profile
    from tinker_harness.contracts.surface.wire_diff import diff_profiles
    from tinker_harness.reports.sdk_diff import render_diff_html, render_diff_json, render_diff_markdown

    for version in (options.a, options.b):
        if not _VERSION.match(version):
            return _fail("sdk-diff", f"{version!r} is not a release version (like 0.38.0)")
    try:
        a = load_profile(options.a, from_wheel=options.from_wheels)
        b = load_profile(options.b, from_wheel=options.from_wheels)
    except ManifestError as exc:
        return _fail("sdk-diff", str(exc))
    diff = diff_profiles(a, b)
    renderers = {"markdown": render_diff_markdown, "html": render_diff_html, "json": render_diff_json}
    if options.output is not None:
        if options.output.exists() and not options.output.is_dir():
            return _fail("sdk-diff", f"--output {options.output}: not a directory")
        options.output.mkdir(parents=True, exist_ok=True)
        stem = f"sdk-diff-{diff.a}-{diff.b}"
        for suffix, name in ((".md", "markdown"), (".html", "html"), (".json", "json")):
            (options.output / f"{stem}{suffix}").write_text(renderers[name](diff), encoding="utf-8")
        servers, ports = len(diff.breaking_for("servers")), len(diff.breaking_for("ports"))
        print(f"{len(diff.changes)} changes, {servers} breaking for servers, {ports} breaking for ports")
        for suffix in (".md", ".html", ".json"):
            print(f"  {options.output / f'{stem}{suffix}'}")
    else:
        sys.stdout.write(renderers[options.format](diff))
    found: dict[str, Any] = {
        "breaking": diff.breaking,
        "servers": diff.breaking_for("servers"),
        "ports": diff.breaking_for("ports"),
        "never": [],
    }
    return 1 if found[options.fail_on] else 0


def _write_or_check(path: Path, text: str, check: bool) -> bool:
    """True when ``path`` holds ``text`` (after writing it, unless checking)."""
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if check:
        if current != text:
            print(f"tinker-harness sdk-generations: {path} is stale; run with --write", file=sys.stderr)
        return current == text
    if current != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return True


def _sdk_generations(options: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from tinker_harness.contracts.surface.driver import ManifestError
    from tinker_harness.contracts.surface.profile import BREAK_POINTS, load_profile, profile_path, render_profile
    from tinker_harness.contracts.surface.releases import RELEASES_FILE, fetch_release_dates
    from tinker_harness.reports.generations_doc import DOC_PATH, render_generations_doc

    if not (options.write or options.check):
        sys.stdout.write(render_generations_doc())
        return 0
    fresh = True
    if options.refresh_dates:
        try:
            dates = fetch_release_dates()
        except Exception as exc:  # noqa: BLE001 - any network or index failure is one line
            return _fail("sdk-generations", f"cannot read release dates from the index: {exc}")
        fresh &= _write_or_check(RELEASES_FILE, json.dumps(dates, indent=1) + "\n", options.check)
    if options.profiles:
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                profiles = list(pool.map(lambda v: load_profile(v, from_wheel=True), BREAK_POINTS))
        except ManifestError as exc:
            return _fail("sdk-generations", str(exc))
        for profile in profiles:
            fresh &= _write_or_check(profile_path(profile.version), render_profile(profile), options.check)
    fresh &= _write_or_check(options.output or DOC_PATH, render_generations_doc(), options.check)
    if options.check and fresh:
        print("up to date")
    return 0 if fresh else 1


def register(commands: Any) -> None:
    diff = commands.add_parser("sdk-diff", help="the wire changelog between two official SDK versions")
    diff.add_argument("a", metavar="A", help="the older SDK version, e.g. 0.24.1")
    diff.add_argument("b", metavar="B", help="the newer SDK version, e.g. 0.25.0")
    diff.add_argument("--output", type=Path, help="write sdk-diff-A-B.{md,html,json} into this directory")
    diff.add_argument("--format", choices=("markdown", "html", "json"), default="markdown", help="stdout format")
    diff.add_argument(
        "--fail-on",
        choices=("breaking", "servers", "ports", "never"),
        default="never",
        help="exit 1 when a change is breaking (for servers or ports, or for one side only)",
    )
    diff.add_argument("--from-wheels", action="store_true", help="read both versions from their wheels")
    diff.set_defaults(run=_sdk_diff)

    gens = commands.add_parser("sdk-generations", help="regenerate or check docs/sdk-generations.md")
    mode = gens.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write the document (and, with --profiles, profiles)")
    mode.add_argument("--check", action="store_true", help="exit 1 if a committed file is stale")
    gens.add_argument("--profiles", action="store_true", help="also regenerate the stored profiles from the wheels")
    gens.add_argument("--refresh-dates", action="store_true", help="also re-read release dates from the index")
    gens.add_argument("--output", type=Path, help="document path (default docs/sdk-generations.md)")
    gens.set_defaults(run=_sdk_generations)
