"""The logic of the benchmark suite (no load is generated here): percentiles, wrk's script and summary, the
pytest summary parser, the report files, and the command line's refusal of unknown benchmarks."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.bench_test_suite import summary_counts
from benchmarks.measure import Result, markdown, percentile
from benchmarks.report import PEER_FILE, SOAK_PLOT, load_results, write_report
from benchmarks.wrk import MARKER, Request, lua_script, parse_summary

ROOT = Path(__file__).resolve().parents[2]


def test_percentile_interpolates_between_ranks() -> None:
    samples = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(samples, 0) == 1.0
    assert percentile(samples, 50) == 3.0
    assert percentile(samples, 100) == 5.0
    assert percentile(samples, 90) == pytest.approx(4.6)
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0


@pytest.mark.parametrize(("samples", "q"), [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_rejects_bad_input(samples: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        percentile(samples, q)


def test_wrk_summary_is_parsed_with_every_kind_of_error_counted() -> None:
    stdout = (
        "Running 3s test @ http://127.0.0.1:4010\n  Requests/sec: 1000\n"
        f'{MARKER}{{"requests": 3000, "duration_us": 3000000, "connect": 1, "read": 2, "write": 0, '
        '"status": 4, "timeout": 3, "p50_us": 1500, "p99_us": 9250, "max_us": 20000}\n'
    )
    run = parse_summary(stdout)
    assert (run.requests, run.errors) == (3000, 10)
    assert run.rps == pytest.approx(1000)
    assert (run.p50_ms, run.p99_ms, run.max_ms) == (1.5, 9.25, 20.0)
    with pytest.raises(RuntimeError, match="no summary"):
        parse_summary("Running 3s test\n")


def test_wrk_script_quotes_bodies_and_headers_as_lua_long_strings() -> None:
    body = json.dumps({"text": "a]]b]=]c", "quote": "'\""})
    script = lua_script([Request("POST", "/api/v1/create_session", body, {"X-API-Key": "tml-k"}), Request("GET", "/h")])
    assert "[==[" + body + "]==]" in script  # a long bracket level that the body does not contain
    assert "[ [=[X-API-Key]=] ] = [=[tml-k]=]" in script
    assert "[ [=[Content-Type]=] ] = [=[application/json]=]" in script
    assert "wrk.format([=[GET]=], [=[/h]=], {}, nil)" in script
    assert "function done(summary, latency, requests)" in script


def test_pytest_summary_counts() -> None:
    output = "....\n== 812 passed, 3 skipped, 1 xfailed in 241.50s (0:04:01) ==\n"
    assert summary_counts(output) == {"passed": 812, "skipped": 3, "xfailed": 1}
    assert summary_counts("2 failed, 10 passed, 1 error in 3.1s") == {"failed": 2, "passed": 10, "error": 1}
    assert summary_counts("no tests ran") == {}


def test_report_files_hold_every_result_and_the_peer_section(tmp_path: Path) -> None:
    results = [
        Result("serve: start to first answered request", 0.53, "s", "< 1 s", "median of 7", "Cold start"),
        Result("granian ×16", float("nan"), "", "", "not installed", "Server options"),
        Result("RSS growth", 1.5, "MiB", "< 100 MiB", "", "Soak (journal on)"),
    ]
    (tmp_path / SOAK_PLOT).write_bytes(b"\x89PNG")
    peer = [{"name": "skyrl-tx: create_model", "value": 12.5, "unit": "s", "target": "", "detail": "tiny model"}]
    (tmp_path / PEER_FILE).write_text(json.dumps(peer))

    markdown_path = write_report(results, quick=True, report_dir=tmp_path)

    document = json.loads((tmp_path / "latest.json").read_text())  # strict JSON: NaN is written as null
    assert document["mode"] == "quick" and document["machine"]
    assert [r["name"] for r in document["results"]] == [r.name for r in results]
    assert document["results"][1]["value"] is None
    reloaded = load_results(tmp_path / "latest.json")
    assert reloaded[0] == results[0] and math.isnan(reloaded[1].value)
    text = markdown_path.read_text()
    assert "### Cold start" in text and "### Server options" in text
    assert "| serve: start to first answered request | 0.53 s | < 1 s | median of 7 |" in text
    assert "| granian ×16 | n/a |  | not installed |" in text
    assert f"]({SOAK_PLOT})" in text
    assert "### skyrl-tx as a second peer" in text and "| skyrl-tx: create_model | 12.5 s |" in text
    assert "python -m benchmarks --quick" in text


def test_report_links_the_soak_plot_only_when_the_soak_ran(tmp_path: Path) -> None:
    (tmp_path / SOAK_PLOT).write_bytes(b"\x89PNG")
    text = write_report([Result("x", 1.0, "s", "")], quick=False, report_dir=tmp_path).read_text()
    assert SOAK_PLOT not in text and "skyrl-tx" not in text.split("## Notes")[0]


def test_markdown_groups_rows_by_section_in_order_of_first_appearance() -> None:
    rows = [
        Result("a", 1, "s", "", section="One"),
        Result("b", 2, "s", "", section="Two"),
        Result("c", 3, "s", "", section="One"),
    ]
    text = markdown(rows)
    assert (
        text.index("### One") < text.index("| a |") < text.index("| c |") < text.index("### Two") < text.index("| b |")
    )


def test_unknown_benchmark_name_exits_2_with_the_choices() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "nosuch"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "unknown benchmark(s) ['nosuch']" in done.stderr and "bench_http" in done.stderr
    assert done.stdout == ""
