"""``conform --journals DIR``: one run with the official SDK and a port keeps both sides' journals in the
layout ``parity --journals`` reads (python/ and port/, one JSONL journal per scenario)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from conformance_support import REFERENCE, SDK_038

from tinker_harness.cli import main
from tinker_harness.reports.behaviour import compare_journal_dirs, load_journal

pytestmark = pytest.mark.sdk
SCENARIOS = ["training/seq-ids-start-at-one", "submit/5xx-retried-same-key", "sessions/trace-export"]


def _conform(tmp_path: Path, *adapters: list[str], extra: tuple[str, ...] = ()) -> int:
    args = ["conform", "--out", str(tmp_path / "out"), "--jobs", "2", "--journals", str(tmp_path / "journals")]
    for adapter in adapters:
        args += ["--adapter", shlex.join(adapter)]
    return main([*args, "--scenarios", *SCENARIOS, *extra])


def test_one_run_keeps_both_sides_in_the_parity_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journals = tmp_path / "journals"
    (journals / "port").mkdir(parents=True)
    (journals / "port" / "stale__scenario.jsonl").write_text("{}\n")  # left over from an earlier run
    assert _conform(tmp_path, SDK_038, REFERENCE) == 0
    assert "wrote 6 journal(s) under" in capsys.readouterr().out
    names = {f"{s.replace('/', '__')}.jsonl" for s in SCENARIOS}
    assert {p.name for p in (journals / "python").iterdir()} == names
    assert {p.name for p in (journals / "port").iterdir()} == names
    index = json.loads((journals / "adapters.json").read_text())
    assert index["python"]["name"] == "python-sdk" and index["port"]["name"] == "reference-client"

    # The full journal, as the mock's JSONL sink writes it: every exchange, retries included.
    python = load_journal(journals / "python" / "submit__5xx-retried-same-key.jsonl")
    port = load_journal(journals / "port" / "submit__5xx-retried-same-key.jsonl")
    for side in (python, port):
        optim = [e for e in side if e.endpoint == "optim_step"]
        assert [e.status for e in optim] == [503, 503, 200], [(e.endpoint, e.status) for e in side]
    assert any(e.endpoint == "telemetry" for e in python) and not any(e.endpoint == "telemetry" for e in port)
    raw = json.loads((journals / "port" / "training__seq-ids-start-at-one.jsonl").read_text().splitlines()[0])
    assert {"seq", "timestamp", "request_headers", "request_body", "response_body", "future_request_id"} <= set(raw)

    # parity --journals pairs every scenario; the reference client's known differences show up.
    findings, items, notes = compare_journal_dirs(journals)
    assert notes == []
    assert items and findings
    assert any(f.kind == "not-called" and f.subject == "telemetry" for f in findings)
    assert all(f.scenarios for f in findings)


def test_two_adapters_on_one_side_exit_2_before_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mutant = [*REFERENCE, "--mutation", "seq-id-off-by-one"]
    assert _conform(tmp_path, REFERENCE, mutant) == 2
    err = capsys.readouterr().err.strip()
    assert "--journals keeps one official SDK (python/) and one port (port/)" in err and "\n" not in err
    assert not (tmp_path / "journals").exists() and not (tmp_path / "out").exists()


def test_journals_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "journals").write_text("")
    assert _conform(tmp_path, REFERENCE) == 2
    assert "--journals" in capsys.readouterr().err


def test_noise_before_the_hello_fails_conform_with_the_diagnosis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "noisy.py"
    script.write_text("print('==> semaphore', flush=True)\n")
    assert main(["conform", "--adapter", shlex.join([sys.executable, str(script)]), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'==> semaphore'" in err and "build-tool output" in err
