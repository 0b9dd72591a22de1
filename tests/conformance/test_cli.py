"""``tinker-harness conform``: exit codes, the known-failing ratchet and the four report formats."""

from __future__ import annotations

import json
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conformance_support import REFERENCE

from tinker_harness.cli import main

ADAPTER = shlex.join(REFERENCE)
MUTANT = shlex.join([*REFERENCE, "--mutation", "seq-id-off-by-one"])
ONE = "training/seq-ids-start-at-one"


def _conform(tmp_path: Path, *extra: str, adapter: str = ADAPTER) -> int:
    return main(["conform", "--adapter", adapter, "--out", str(tmp_path / "out"), "--jobs", "2", *extra])


def _known(tmp_path: Path, scenario_id: str) -> str:
    path = tmp_path / "known.yaml"
    path.write_text(f"known_failing:\n  - id: {scenario_id}\n    reason: seq ids start at 0 in this port\n")
    return str(path)


def test_a_conforming_adapter_exits_0_and_writes_four_reports(tmp_path: Path) -> None:
    assert _conform(tmp_path, "--scenarios", ONE, "bootstrap/startup-order") == 0
    out = tmp_path / "out"
    data = json.loads((out / "conformance.json").read_text())
    assert [r["outcome"] for r in data["adapters"][0]["results"]] == ["pass", "pass"]
    suite = ET.parse(out / "conformance.junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "0"
    assert "| `training/seq-ids-start-at-one` |" in (out / "conformance.md").read_text()
    assert "<h2>Matrix</h2>" in (out / "conformance.html").read_text()


def test_an_unlisted_failure_exits_1_with_expected_and_observed(tmp_path: Path) -> None:
    assert _conform(tmp_path, "--scenarios", ONE, adapter=MUTANT) == 1
    out = tmp_path / "out"
    row = json.loads((out / "conformance.json").read_text())["adapters"][0]["results"][0]
    assert row["outcome"] == "fail"
    assert any("body.seq_id" in f["expected"] and f["observed"] for f in row["failures"])
    case = ET.parse(out / "conformance.junit.xml").getroot().find("testsuite/testcase")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and "§8.2" in failure.get("message", "")
    markdown = (out / "conformance.md").read_text()
    assert (
        "Expected:" in markdown
        and "Observed:" in markdown
        and "Protocol: [§8.2](" in markdown
        and "#s16.9)" in markdown
    )


def test_a_listed_failure_is_allowed(tmp_path: Path) -> None:
    assert _conform(tmp_path, "--scenarios", ONE, "--known-failing", _known(tmp_path, ONE), adapter=MUTANT) == 0
    data = json.loads((tmp_path / "out" / "conformance.json").read_text())
    assert data["adapters"][0]["results"][0]["outcome"] == "known-fail"
    assert data["adapters"][0]["ratchet"]["known"] == 1


def test_a_listed_scenario_that_passes_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _conform(tmp_path, "--scenarios", ONE, "--known-failing", _known(tmp_path, ONE)) == 1
    data = json.loads((tmp_path / "out" / "conformance.json").read_text())
    assert data["adapters"][0]["results"][0]["outcome"] == "fixed"
    assert data["adapters"][0]["ratchet"]["closed"] == [ONE]
    assert "PASSES BUT LISTED" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--known-failing", "/nonexistent.yaml"], "no such file"),
        (["--scenarios", "no/such/scenario"], "no scenario matches"),
        (["--catalog", "/nonexistent-dir"], "no scenario files"),
        (["--jobs", "0"], "--jobs must be between"),
    ],
)
def test_bad_flags_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) if args[0] == "--jobs" else _nothing():
        assert _conform(tmp_path, *args) == 2
    assert message in capsys.readouterr().err


def test_a_bad_known_failing_file_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "known.yaml"
    path.write_text(
        "known_failing:\n  - id: a/b\n    reason: ok reason\n  - id: c/d\n    reason: a fine reason\n    colour: red\n"
    )
    assert _conform(tmp_path, "--known-failing", str(path)) == 2
    assert f"{path}:6: known_failing.1.colour" in capsys.readouterr().err


def test_an_adapter_that_cannot_start_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _conform(tmp_path, adapter="/nonexistent/adapter --flag") == 2
    assert "cannot start adapter" in capsys.readouterr().err


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_conform_leaves_no_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    assert _conform(tmp_path, "--scenarios", ONE) == 0
    assert _conform(tmp_path, "--scenarios", ONE, adapter=MUTANT) == 1
    assert sorted(p.name for p in scratch.iterdir()) == []
