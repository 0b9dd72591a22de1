"""Every kind of misuse of ``tinker-harness`` is one line on stderr and exit status 2, never a traceback.

The table covers every subcommand: bad flags, missing, unreadable, binary and directory files,
unwritable outputs, busy ports, and malformed plans, configs, cassettes, catalogues, known-failing
lists and journals. Cases run in-process through ``tinker_harness.cli.main`` (each fails before any
server starts or scenario runs); a few run the installed entry point as a subprocess.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tinker_harness.cli import main

BINARY = b"\xff\xfe\x00\x81 not text"
CASSETTE = "version: 1\ninteractions: []\n"
NOT_A_CASSETTE = "hello: world\n"
CERTIFY = "certify --base-url http://127.0.0.1:9 --api-key tml-x"
PARITY = "parity --python-sdk 0.38.0 --port {tmp} --output {tmp}/out"
SCENARIO_BROKEN = "suite: broken\nscenarios:\n  - id: broken/one\n    steps: 12\n"


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]  # "{tmp}" is the case's folder, "{busy}" a port something already listens on
    files: dict[str, str | bytes] = field(default_factory=dict)  # relative path -> content ("/" ends: a folder)
    expect: str = ""  # a fragment the one line must contain (case-insensitive)


def c(name: str, argv: str, files: dict[str, str | bytes] | None = None, expect: str = "") -> Case:
    return Case(name, tuple(argv.split()), files or {}, expect)


CASES = [
    # the command line itself
    c("no-command", ""),
    c("unknown-command", "frobnicate", expect="invalid choice"),
    c("unknown-flag", "--bogus"),
    # serve: flags
    c("serve-port-too-big", "serve --port 99999", expect="0-65535"),
    c("serve-port-negative", "serve --port -1", expect="0-65535"),
    c("serve-port-not-number", "serve --port abc", expect="port number"),
    c("serve-seed-not-number", "serve --seed abc", expect="--seed"),
    c("serve-log-level", "serve --log-level loud", expect="--log-level"),
    c("serve-busy-port", "serve --port {busy}", expect="cannot listen"),
    c("serve-short-control-token", "serve --port 0 --control-token abc", expect="control_token"),
    c(
        "replay-with-control-token",
        "serve --replay {tmp}/c.yaml --control-token 0123456789abcdefgh",
        {"c.yaml": CASSETTE},
    ),
    c("serve-replay-latency-alone", "serve --replay-latency 1", expect="--replay"),
    # serve --journal: outputs
    c("journal-missing-dir", "serve --port 0 --journal {tmp}/nope/j.jsonl", expect="does not exist"),
    c("journal-is-dir", "serve --port 0 --journal {tmp}", expect="is a directory"),
    c("journal-proc", "serve --port 0 --journal /proc/j.jsonl", expect="--journal"),
    # serve --faults: fault plans
    c("faults-missing", "serve --port 0 --faults {tmp}/none.yaml", expect="cannot read"),
    c("faults-dir", "serve --port 0 --faults {tmp}", expect="cannot read"),
    c("faults-binary", "serve --port 0 --faults {tmp}/p.yaml", {"p.yaml": BINARY}, expect="utf-8"),
    c("faults-empty", "serve --port 0 --faults {tmp}/p.yaml", {"p.yaml": ""}, expect="empty fault plan"),
    c("faults-bad-yaml", "serve --port 0 --faults {tmp}/p.yaml", {"p.yaml": "rules: [\n  - {"}, expect="yaml"),
    c("faults-not-mapping", "serve --port 0 --faults {tmp}/p.yaml", {"p.yaml": "- 1\n- 2\n"}, expect="p.yaml"),
    c(
        "faults-two-actions",
        "serve --port 0 --faults {tmp}/p.yaml",
        {"p.yaml": "rules:\n  - action: {status: 500, transport: reset}\n"},
        expect="one action",
    ),
    c(
        "faults-unknown-field",
        "serve --port 0 --faults {tmp}/p.yaml",
        {"p.yaml": "rules:\n  - match: {path: /x}\n    eror: {status: 500}\n"},
        expect="rules.0.eror",
    ),
    c(
        "faults-bad-status",
        "serve --port 0 --faults {tmp}/p.yaml",
        {"p.yaml": "rules:\n  - action: {status: nine}\n"},
        expect="rules.0.action",
    ),
    c("faults-no-action", "serve --port 0 --faults {tmp}/p.yaml", {"p.yaml": "rules:\n  - {}\n"}, expect="action"),
    # serve --config: server configs
    c("config-missing", "serve --port 0 --config {tmp}/none.yaml", expect="cannot read"),
    c("config-dir", "serve --port 0 --config {tmp}", expect="cannot read"),
    c("config-binary", "serve --port 0 --config {tmp}/c.yaml", {"c.yaml": BINARY}, expect="utf-8"),
    c("config-bad-yaml", "serve --port 0 --config {tmp}/c.yaml", {"c.yaml": "a: 1\n  b: [\n"}, expect="yaml"),
    c("config-not-mapping", "serve --port 0 --config {tmp}/c.yaml", {"c.yaml": "[1, 2]\n"}, expect="mapping"),
    c("config-unknown-field", "serve --config {tmp}/c.yaml", {"c.yaml": "prot: 1\n"}, expect="prot"),
    c("config-bad-port", "serve --config {tmp}/c.yaml", {"c.yaml": "port: 70000\n"}, expect="port"),
    c("config-bad-model", "serve --port 0 --config {tmp}/c.yaml", {"c.yaml": "base_models: [{}]\n"}, expect="model"),
    # serve --api-keys-file
    c("keys-missing", "serve --port 0 --api-keys-file {tmp}/none.txt", expect="--api-keys-file"),
    c("keys-dir", "serve --port 0 --api-keys-file {tmp}", expect="--api-keys-file"),
    c("keys-binary", "serve --port 0 --api-keys-file {tmp}/k.txt", {"k.txt": BINARY}, expect="--api-keys-file"),
    # serve --replay: cassettes
    c("replay-missing", "serve --port 0 --replay {tmp}/none.yaml", expect="cannot read"),
    c("replay-not-cassette", "serve --port 0 --replay {tmp}/c.yaml", {"c.yaml": NOT_A_CASSETTE}, expect="cassette"),
    c("replay-binary", "serve --port 0 --replay {tmp}/c.yaml", {"c.yaml": BINARY}, expect="utf-8"),
    c("replay-with-seed", "serve --replay {tmp}/c.yaml --seed 3", {"c.yaml": CASSETTE}, expect="--seed"),
    c(
        "replay-negative-latency",
        "serve --replay {tmp}/c.yaml --replay-latency -1",
        {"c.yaml": CASSETTE},
        expect=">= 0",
    ),
    c("replay-busy-port", "serve --replay {tmp}/c.yaml --port {busy}", {"c.yaml": CASSETTE}, expect="cannot listen"),
    # openapi
    c("openapi-missing-dir", "openapi --output {tmp}/nope/o.json", expect="does not exist"),
    c("openapi-onto-dir", "openapi --output {tmp}", expect="is a directory"),
    c("openapi-proc", "openapi --output /proc/o.json", expect="--output"),
    c("openapi-unknown-flag", "openapi --format yaml", expect="unrecognized"),
    # certify: the report directory is checked before any SDK venv is built or the server contacted
    c("certify-out-proc", CERTIFY + " --out /proc/x", expect="--out"),
    c("certify-out-file", CERTIFY + " --out {tmp}/f", {"f": "x"}, expect="not a directory"),
    c("certify-out-under-file", CERTIFY + " --out {tmp}/f/o", {"f": "x"}, expect="is not a directory"),
    c("certify-bad-url", "certify --base-url ftp://somewhere --api-key tml-x", expect="--base-url"),
    c("certify-bad-jobs", "certify --base-url http://127.0.0.1:9 --jobs 0", expect="--jobs"),
    c("certify-bad-header", "certify --base-url http://127.0.0.1:9 --header nocolon", expect="--header"),
    c("certify-key-prefix", "certify --base-url http://127.0.0.1:9 --api-key abc --out {tmp}/o", expect="tml-"),
    # conform: flags and outputs (all checked before any scenario runs)
    c("conform-no-adapter", "conform", expect="--adapter"),
    c("conform-jobs-word", "conform --adapter x --jobs abc", expect="number of parallel"),
    c("conform-jobs-zero", "conform --adapter x --jobs 0", expect="between 1 and 64"),
    c("conform-out-proc", "conform --adapter x --out /proc/x", expect="--out"),
    c("conform-out-file", "conform --adapter x --out {tmp}/f", {"f": "x"}, expect="not a directory"),
    c("conform-journals-file", "conform --adapter x --out {tmp}/o --journals {tmp}/f", {"f": "x"}, expect="journals"),
    c("conform-journals-proc", "conform --adapter x --out {tmp}/o --journals /proc/j", expect="--journals"),
    c("conform-adapter-missing", "conform --adapter {tmp}/no-adapter --out {tmp}/o", expect="cannot start"),
    c("conform-adapter-quote", "conform --out {tmp}/o --adapter 'unclosed", expect="quotation"),
    c("conform-no-match", "conform --adapter x --out {tmp}/o --scenarios nothing/like/this", expect="no scenario"),
    # conform: known-failing lists and catalogues
    c("known-missing", "conform --adapter x --out {tmp}/o --known-failing {tmp}/k.yaml", expect="no such file"),
    c("known-binary", "conform --adapter x --out {tmp}/o --known-failing {tmp}/k.yaml", {"k.yaml": BINARY}),
    c("known-bad-yaml", "conform --adapter x --out {tmp}/o --known-failing {tmp}/k.yaml", {"k.yaml": "a: [\n"}),
    c(
        "known-wrong-shape",
        "conform --adapter x --out {tmp}/o --known-failing {tmp}/k.yaml",
        {"k.yaml": "known_failing: [{reason: no id}]\n"},
        expect="k.yaml",
    ),
    c("catalog-missing", "conform --adapter x --out {tmp}/o --catalog {tmp}/nope", expect="nope"),
    c("catalog-empty", "conform --adapter x --out {tmp}/o --catalog {tmp}/cat", {"cat/": ""}, expect="no scenario"),
    c(
        "catalog-malformed",
        "conform --adapter x --out {tmp}/o --catalog {tmp}/cat",
        {"cat/bad.yaml": SCENARIO_BROKEN},
        expect="bad.yaml",
    ),
    c("catalog-binary", "conform --adapter x --out {tmp}/o --catalog {tmp}/cat", {"cat/b.yaml": BINARY}, "b.yaml"),
    # record
    c("record-no-flags", "record", expect="required"),
    c("record-bad-upstream", "record --upstream ftp://x --out {tmp}/c.yaml", expect="--upstream"),
    c("record-out-missing-dir", "record --upstream http://x --out {tmp}/nope/c.yaml", expect="does not exist"),
    c("record-out-exists", "record --upstream http://x --out {tmp}/c.yaml", {"c.yaml": CASSETTE}, expect="--force"),
    c("record-out-dir", "record --upstream http://x --out {tmp}", expect="is a directory"),
    c("record-port", "record --upstream http://x --out {tmp}/c.yaml --port 99999", expect="0-65535"),
    c("record-busy-port", "record --upstream http://x --out {tmp}/c.yaml --port {busy}", expect="cannot listen"),
    # cassette
    c("cassette-no-action", "cassette", expect="required"),
    c("cassette-check-no-file", "cassette check", expect="required"),
    c("cassette-check-missing", "cassette check {tmp}/none.yaml", expect="cannot read"),
    c("cassette-check-dir", "cassette check {tmp}", expect="cannot read"),
    c("cassette-check-binary", "cassette check {tmp}/c.yaml", {"c.yaml": BINARY}, expect="utf-8"),
    c("cassette-check-bad-yaml", "cassette check {tmp}/c.yaml", {"c.yaml": "a: [\n"}, expect="yaml"),
    c("cassette-check-not-cassette", "cassette check {tmp}/c.yaml", {"c.yaml": NOT_A_CASSETTE}, "not a cassette"),
    c(
        "cassette-check-bad-version",
        "cassette check {tmp}/c.yaml",
        {"c.yaml": "version: 7\ninteractions: []\n"},
        expect="version",
    ),
    c("to-scenario-missing", "cassette to-scenario {tmp}/none.yaml --out {tmp}/s.yaml", expect="cannot read"),
    c(
        "to-scenario-not-cassette",
        "cassette to-scenario {tmp}/c.yaml --out {tmp}/s.yaml",
        {"c.yaml": NOT_A_CASSETTE},
        expect="not a cassette",
    ),
    c(
        "to-scenario-out-exists",
        "cassette to-scenario {tmp}/c.yaml --out {tmp}/s.yaml",
        {"c.yaml": CASSETTE, "s.yaml": "x"},
        expect="--force",
    ),
    c("to-scenario-no-out", "cassette to-scenario {tmp}/c.yaml", {"c.yaml": CASSETTE}, expect="--out"),
    # manifest and parity
    c("manifest-no-version", "manifest", expect="--sdk-version"),
    c("manifest-output-missing-dir", "manifest --sdk-version 0.38.0 --output {tmp}/no/m.json", expect="not exist"),
    c("manifest-output-dir", "manifest --sdk-version 0.38.0 --output {tmp}", expect="is a directory"),
    c("parity-no-flags", "parity", expect="required"),
    c("parity-port-missing", "parity --python-sdk 0.38.0 --port {tmp}/nope", expect="not a directory"),
    c("parity-port-file", "parity --python-sdk 0.38.0 --port {tmp}/f", {"f": "x"}, expect="not a directory"),
    c("parity-journals-missing", "parity --python-sdk 0.38.0 --port {tmp} --journals {tmp}/no", expect="--journals"),
    c("parity-overrides-missing", "parity --python-sdk 0.1 --port {tmp} --overrides {tmp}/o.toml", {}, "overrides"),
    c(
        "journal-not-json",
        f"{PARITY} --journals {{tmp}}/j",
        {"j/python/a.jsonl": "no\n", "j/port/a.jsonl": "no\n"},
        "not JSON",
    ),
    c(
        "journal-not-an-entry",
        f"{PARITY} --journals {{tmp}}/j",
        {"j/python/a.jsonl": '{"method": "POST"}\n', "j/port/a.jsonl": '{"method": "POST"}\n'},
        expect="not a journal entry",
    ),
    c(
        "journal-binary",
        f"{PARITY} --journals {{tmp}}/j",
        {"j/python/a.jsonl": BINARY, "j/port/a.jsonl": BINARY},
        "utf-8",
    ),
    c(
        "journal-unknown-format",
        f"{PARITY} --journals {{tmp}}/j",
        {"j/python/a.jsonl": '{"format": 9}\n', "j/port/a.jsonl": '{"format": 9}\n'},
        expect="format",
    ),
    c("parity-output-proc", "parity --python-sdk 0.38.0 --port {tmp} --output /proc/out", expect="--output"),
    c("parity-output-file", "parity --python-sdk 0.38.0 --port {tmp} --output {tmp}/f", {"f": "x"}, "not a directory"),
]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _argv(case: Case, tmp: Path, busy: int) -> list[str]:
    for relative, content in case.files.items():
        target = tmp / relative
        if relative.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return [a.replace("{tmp}", str(tmp)).replace("{busy}", str(busy)) for a in case.argv]


def test_the_table_covers_at_least_sixty_kinds_and_every_subcommand() -> None:
    assert len({case.name for case in CASES}) == len(CASES) >= 60
    commands = {case.argv[0] for case in CASES if case.argv}
    assert {"serve", "openapi", "conform", "record", "cassette", "manifest", "parity"} <= commands


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_misuse_is_one_line_and_exit_2(
    case: Case, tmp_path: Path, busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(case, tmp_path, busy_port)
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors
        status = exc.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert status == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("tinker-harness"), err
    assert case.expect.lower() in lines[0].lower(), err


SUBPROCESS_CASES = ["journal-proc", "openapi-onto-dir", "serve-port-too-big", "faults-binary"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_the_console_entry_point_reports_misuse_in_one_line(name: str, tmp_path: Path, busy_port: int) -> None:
    (case,) = [case for case in CASES if case.name == name]
    argv = _argv(case, tmp_path, busy_port)
    done = subprocess.run(
        [sys.executable, "-m", "tinker_harness", *argv], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert case.expect.lower() in done.stderr.lower()
