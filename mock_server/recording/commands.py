"""``tinker-harness record``, ``tinker-harness cassette check`` and ``serve --replay``
(``cassette to-scenario`` is in :mod:`scenarios.commands`).

::

    tinker-harness record --upstream URL --out session.yaml [--host H] [--port P]
                          [--scrub-field NAME]... [--scrub-header NAME]... [--force]
    tinker-harness cassette check FILE...
    tinker-harness cassette to-scenario CASSETTE --out FILE [--id ID]
    tinker-harness serve --replay session.yaml [--host H] [--port P]

Bad input (a malformed URL or cassette, a file that is not a cassette, an existing output without
``--force``, a port in use) is one line on stderr and exit status 2; ``cassette check`` exits 1
when it finds credentials.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tinker_harness.contracts.usage_errors import port_number

__all__ = ["output_problem", "register", "serve_replay"]

DEFAULT_RECORD_PORT = 4011


def _fail(command: str, message: str) -> int:
    print(f"tinker-harness {command}: {message}", file=sys.stderr)
    return 2


def output_problem(out: Path, force: bool) -> str | None:
    if out.is_dir():
        return f"--out {out}: is a directory"
    if not out.parent.is_dir():
        return f"--out {out}: directory {out.parent} does not exist"
    if out.exists() and not force:
        return f"--out {out}: already exists (pass --force to overwrite)"
    return None


def _record(options: argparse.Namespace) -> int:
    from tinker_harness.mock_server.recording.proxy import RecordingProxy
    from tinker_harness.mock_server.recording.scrub import Scrubber, ScrubRules
    from tinker_harness.mock_server.recording.serving import serve_app_forever, socket_url
    from tinker_harness.mock_server.runner import bind_socket

    parts = urlsplit(options.upstream)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _fail(
            "record", f"--upstream: expected an http(s) URL such as https://host/path, got {options.upstream!r}"
        )
    problem = output_problem(options.out, options.force)
    if problem:
        return _fail("record", problem)
    try:
        sock = bind_socket(options.host, options.port)
    except OSError as exc:
        return _fail("record", f"cannot listen on {options.host}:{options.port}: {exc.strerror}")
    rules = ScrubRules.of(options.scrub_field, options.scrub_header)
    try:
        proxy = RecordingProxy(options.upstream, options.out, rules)
    except OSError as exc:
        sock.close()
        return _fail("record", f"--out {options.out}: {exc.strerror}")
    url = socket_url(sock)
    print(f"tinker-harness recording proxy listening on {url} -> {Scrubber().text(options.upstream)}", flush=True)
    print(f"  recording to {options.out} (secrets scrubbed before writing)", flush=True)
    print(f"  export TINKER_BASE_URL={url}", flush=True)
    try:
        serve_app_forever(proxy, sock, log_level=options.log_level)
    finally:
        proxy.close()
    print(f"recorded {proxy.recorded} interaction(s) to {options.out}", flush=True)
    if proxy.failures:
        print(f"tinker-harness record: {proxy.failures} exchange(s) could not be recorded (see log)", file=sys.stderr)
        return 1
    return 0


def _check(options: argparse.Namespace) -> int:
    from tinker_harness.mock_server.recording.cassette_io import read_cassette
    from tinker_harness.mock_server.recording.secrets_check import check_cassette

    found = 0
    for path in options.files:
        read_cassette(path)  # a file that is not a cassette is misuse (CassetteError: exit 2), not "clean"
        findings = check_cassette(path)
        for finding in findings:
            print(finding.describe(str(path)))
        if not findings:
            print(f"{path}: no credentials found")
        found += len(findings)
    if found:
        print(f"tinker-harness cassette check: {found} possible credential(s) found", file=sys.stderr)
        return 1
    return 0


def serve_replay(options: argparse.Namespace) -> int:
    """``serve --replay CASSETTE``: serve the recorded answers instead of the mock."""
    from tinker_harness.mock_server.recording.cassette_io import CassetteError, read_cassette
    from tinker_harness.mock_server.recording.replay_app import STATUS_PATH, ReplayApp
    from tinker_harness.mock_server.recording.serving import serve_app_forever, socket_url
    from tinker_harness.mock_server.runner import bind_socket

    mock_only = [
        flag
        for flag, value in (
            ("--seed", options.seed),
            ("--config", options.config),
            ("--faults", options.faults),
            ("--journal", options.journal),
            ("--api-keys-file", options.api_keys_file),
            ("--control-token", options.control_token),
        )
        if value is not None
    ]
    if mock_only:
        return _fail("serve", f"--replay cannot be combined with {', '.join(mock_only)} (they configure the mock)")
    if options.replay_latency is not None and not options.replay_latency >= 0:
        return _fail("serve", f"--replay-latency must be a number >= 0, got {options.replay_latency}")
    try:
        cassette = read_cassette(options.replay)
    except CassetteError as exc:
        return _fail("serve", f"--replay: {exc}")
    host = options.host or "127.0.0.1"
    port = options.port if options.port is not None else 4010
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        return _fail("serve", f"cannot listen on {host}:{port}: {exc.strerror}")
    app = ReplayApp(cassette, latency_scale=options.replay_latency or 0.0)
    url = socket_url(sock)
    print(f"tinker-harness replaying {options.replay} ({len(cassette.interactions)} interactions) on {url}", flush=True)
    print(f"  export TINKER_BASE_URL={url}", flush=True)
    print(f"  progress: GET {url}{STATUS_PATH}", flush=True)
    serve_app_forever(app, sock, log_level=options.log_level)
    status = app.status()
    print(
        f"served {status['served']} interaction(s), {len(status['unserved'])} never asked for, "
        f"{len(status['misses'])} unmatched request(s)",
        flush=True,
    )
    return 0


def register(commands: Any) -> Any:
    """Add ``record`` and ``cassette check``; return the ``cassette`` actions (scenarios adds ``to-scenario``)."""
    record = commands.add_parser("record", help="record a live Tinker session through a local proxy")
    record.add_argument("--upstream", required=True, help="base URL of the live Tinker service")
    record.add_argument("--out", required=True, type=Path, help="cassette file to write (YAML)")
    record.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    record.add_argument(
        "--port", type=port_number, default=DEFAULT_RECORD_PORT, help="port (default 4011; 0 = free port)"
    )
    record.add_argument("--scrub-field", action="append", default=[], help="also scrub this JSON/protobuf field")
    record.add_argument("--scrub-header", action="append", default=[], help="also scrub this header")
    record.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    record.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    record.set_defaults(run=_record)

    cassette = commands.add_parser("cassette", help="inspect and convert cassettes")
    actions = cassette.add_subparsers(
        dest="cassette_command", metavar="{check,to-scenario}", required=True, parser_class=type(cassette)
    )
    check = actions.add_parser("check", help="fail (exit 1) on anything credential-shaped in cassettes")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.set_defaults(run=_check)
    return actions
