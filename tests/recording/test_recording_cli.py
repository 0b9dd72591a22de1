"""Bad files and flags of `record`, `serve --replay` and `cassette check|to-scenario`: one clear line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinker_harness.cli import main

CASSETTE = """version: 1
interactions:
- request: {method: GET, uri: 'http://h/api/v1/healthz', body: null, headers: {}}
  response: {status: {code: 200, message: OK}, headers: {}, body: {string: '{}'}}
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "ok.yaml").write_text(CASSETTE, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("version: 1\ninteractions:\n- request: a: b\n", encoding="utf-8")
    (tmp_path / "not-a-cassette.yaml").write_text("suite: something else\n", encoding="utf-8")
    bad_field = CASSETTE.replace("code: 200", "code: two-hundred")
    (tmp_path / "bad-field.yaml").write_text(bad_field, encoding="utf-8")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    return tmp_path


CASES = [
    (["record", "--upstream", "ftp://example", "--out", "{d}/new.yaml"], "--upstream: expected an http(s) URL"),
    (["record", "--upstream", "http://example", "--out", "{d}/ok.yaml"], "already exists (pass --force"),
    (["record", "--upstream", "http://example", "--out", "{d}/missing/x.yaml"], "does not exist"),
    (["record", "--upstream", "http://example"], "the following arguments are required: --out"),
    (["serve", "--replay", "{d}/absent.yaml"], "absent.yaml: cannot read cassette: No such file"),
    (["serve", "--replay", "{d}/broken.yaml"], "broken.yaml:3: not valid YAML"),
    (["serve", "--replay", "{d}/not-a-cassette.yaml"], "not-a-cassette.yaml:1: not a cassette"),
    (["serve", "--replay", "{d}/bad-field.yaml"], "bad-field.yaml:3: interactions[0].response.status.code: expected"),
    (["serve", "--replay", "{d}/ok.yaml", "--seed", "3"], "--replay cannot be combined with --seed"),
    (["cassette", "check", "{d}/absent.yaml"], "absent.yaml: cannot read"),
    (["cassette", "check", "{d}/binary.yaml"], "binary.yaml: not UTF-8 text"),
    (["cassette", "check", "{d}/broken.yaml"], "broken.yaml:3: not valid YAML"),
    (["cassette"], "required: {check,to-scenario}"),
    (["cassette", "to-scenario", "{d}/ok.yaml"], "required: --out"),
    (["cassette", "to-scenario", "{d}/ok.yaml", "--out", "{d}/ok.yaml"], "already exists"),
    (["cassette", "to-scenario", "{d}/bad-field.yaml", "--out", "{d}/s.yaml"], "bad-field.yaml:3:"),
    (["cassette", "to-scenario", "{d}/ok.yaml", "--out", "{d}/s.yaml", "--id", "Bad_Id"], "--id 'Bad_Id': expected"),
    (["cassette", "to-scenario", "{d}/ok.yaml", "--out", "{d}/s.yaml"], "no client calls to turn into steps"),
]


@pytest.mark.parametrize(("argv", "message"), CASES, ids=[" ".join(a[:2]) + f" #{i}" for i, (a, _) in enumerate(CASES)])
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.format(d=files) for a in argv]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert err.startswith("tinker-harness ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 or err.startswith("tinker-harness cassette: error")


def test_check_accepts_a_clean_cassette(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cassette", "check", str(files / "ok.yaml")]) == 0
    assert "no credentials found" in capsys.readouterr().out
