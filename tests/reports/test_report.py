"""``tinker-harness parity``: Markdown, HTML and JSON reports and the known-gaps ratchet."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from parity_support import PLANTED, PLANTED_GAPS, SDK_VERSION

from tinker_harness.cli import main
from tinker_harness.reports.report import ParityReport


def _parity(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["parity", "--python-sdk", SDK_VERSION, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_report_files_summary_gaps_and_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _parity(capsys, "--port", str(PLANTED), "--output", str(tmp_path))
    assert code == 0
    assert out.splitlines()[0].startswith("21 gaps (4 critical, 5 high, 6 medium, 6 low); 21 new, 0 closed;")
    report = ParityReport.model_validate_json((tmp_path / "parity-tinker-0.38.0.json").read_text())
    assert {f.id for f in report.findings} == set(PLANTED_GAPS)
    summary = {s.domain.value: s for s in report.summary}
    types = summary["types"]
    assert (types.items, types.present, types.ok, types.completeness, types.correctness) == (5, 5, 2, 100.0, 40.0)
    assert summary["endpoints"].counts == {"critical": 2, "high": 1, "medium": 0, "low": 0}
    assert summary["wire"].counts == {"critical": 2, "high": 2, "medium": 2, "low": 0}
    assert report.facts.parse_problems == ["lib/tinkex/broken_draft.ex:1: syntax error near 'do'"]

    markdown = (tmp_path / "parity-tinker-0.38.0.md").read_text()
    assert (
        markdown.index("## Fix these first")
        < markdown.index("## Summary")
        < markdown.index("## Changes since")
        < markdown.index("## Gaps by feature")
    )
    assert "| Types | 5 | 100.0 % | 40.0 % | 0 | 0 | 0 | 0 |" in markdown
    assert "  - Python: `tinker/types/lora_config.py:9`" in markdown
    assert "| `TrainingClient.save_weights_external` | ✅ yes | ❌ no |" in markdown
    assert "| 🟥 critical | wire-format mismatch |" in markdown

    html = (tmp_path / "parity-tinker-0.38.0.html").read_text()
    assert "<link" not in html and "<script src" not in html and "http://" not in html.split("</style>")[0]
    assert 'id="summary"' in html and 'id="wire/missing-field/LoraConfig#rank"' in html


def test_known_gaps_ratchet_lists_new_and_closed_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    known = tmp_path / "known.json"
    args = ["--output", str(tmp_path / "out"), "--known-gaps", str(known)]
    assert _parity(capsys, "--port", str(PLANTED), *args, "--update-known-gaps")[0] == 0
    assert set(json.loads(known.read_text())["gaps"]) == set(PLANTED_GAPS)

    port = tmp_path / "port"
    shutil.copytree(PLANTED, port)
    config = port / "lib/tinkex/config.ex"
    config.write_text(config.read_text().replace("@default_timeout 60\n", "@default_timeout 60_000\n"))
    sample = port / "lib/tinkex/sampling_client.ex"
    sample.write_text(sample.read_text().replace("def get_sampler_handle(client)", "def sampler_handle(client)"))
    code, out, _ = _parity(capsys, "--port", str(port), *args, "--fail-on-new")
    assert code == 1 and "1 new, 1 closed" in out
    markdown = (tmp_path / "out" / "parity-tinker-0.38.0.md").read_text()
    ratchet = markdown[markdown.index("## Changes since") : markdown.index("## Gaps")]
    assert "`clients/naming/SamplingClient.get_sampler_handle`" in ratchet
    assert "✅ `constants/value/http.timeout`" in ratchet
    assert _parity(capsys, "--port", str(port), *args)[0] == 0  # without --fail-on-new


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "/nonexistent/port"], "--port /nonexistent/port: not a directory"),
        (["--port", str(PLANTED), "--journals", "/nonexistent/j"], "--journals /nonexistent/j: not a directory"),
        (["--port", str(PLANTED), "--overrides", "/nonexistent.toml"], "--overrides /nonexistent.toml: no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _parity(capsys, *args, "--output", str(tmp_path))
    assert code == 2 and err.strip() == f"tinker-harness parity: {message}"


def test_malformed_overrides_and_known_gaps_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scope]\ninclude = ["clientz:*"]\n')
    code, _, err = _parity(capsys, "--port", str(PLANTED), "--overrides", str(bad), "--output", str(tmp_path))
    assert (
        code == 2
        and err.strip()
        == f"tinker-harness parity: {bad}: scope.include: 'clientz:*' is not '<domain>:<glob>' "
        "(domains: clients, types, endpoints, env, cli, constants, wire)"
    )
    bad.write_text("app = [\n")
    code, _, err = _parity(capsys, "--port", str(PLANTED), "--overrides", str(bad), "--output", str(tmp_path))
    assert code == 2 and err.startswith(f"tinker-harness parity: {bad}: not valid TOML") and err.count("\n") == 1
    known = tmp_path / "known.json"
    known.write_text('{"sdk_version": "0.38.0", "gaps": {"x": {"severity": "high"}}}')
    code, _, err = _parity(capsys, "--port", str(PLANTED), "--known-gaps", str(known), "--output", str(tmp_path))
    assert code == 2 and err.strip() == f"tinker-harness parity: {known}: gaps.x.title: Field required"
