"""``tinker-harness certify`` end to end with the official SDK (0.38.0, this interpreter's) against our own
server, and against a variant of it that does not serve sampling: the kit must name the failing request.

``nox -s certify`` runs every verified generation (each SDK version in its own venv) over every portable
scenario: ``TINKER_HARNESS_SDK_VERSIONS`` and ``TINKER_HARNESS_CERTIFY_SCENARIOS=all``.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path

import pytest
from broken_servers import KEY, MissingEndpoint, serving

from tinker_harness.cli import main
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.reports.certify.model import build_certify_report
from tinker_harness.reports.certify.render import render_markdown
from tinker_harness.scenarios.certify.run import CertifyOptions, certify

SDK = "0.38.0"  # the SDK of the test environment: no venv to build
VERSIONS = os.environ.get("TINKER_HARNESS_SDK_VERSIONS", SDK).split(",")
ALL_SCENARIOS = os.environ.get("TINKER_HARNESS_CERTIFY_SCENARIOS") == "all"
SCENARIOS = ["training/rl-ppo", "sampling/compute-logprobs", "checkpoints/delete", "futures/poll/headers"]


@pytest.mark.parametrize("version", VERSIONS)
def test_our_server_certifies_on_every_feature(version: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    chosen = [] if ALL_SCENARIOS else ["--scenarios", *SCENARIOS]
    with serving(ServerConfig(long_poll_timeout=1.0)) as url:
        status = main(["certify", "--base-url", url, "--api-key", KEY, "--versions", version, "--jobs", "2",
                       "--header", "X-Certify-Run: ci", *chosen, "--out", str(out)])  # fmt: skip
    data = json.loads((out / "certify.json").read_text())
    assert status == 0, (out / "certify.md").read_text()
    assert data["ok"] is True and data["failures"] == []
    assert data["scores"][version]["passed"] == data["scores"][version]["judged"] >= 14
    cells = {feature: row[version]["status"] for feature, row in data["matrix"].items()}
    assert set(cells.values()) <= {"pass", "n/a", "sdk-known"}, cells
    assert cells["training"] == cells["sampling"] == cells["checkpoints"] == "pass"
    # The archive download left the SDK after 0.33 (n/a there, not a failure).
    assert (cells["archive"] == "n/a") == (tuple(map(int, version.split("."))) > (0, 33, 1))
    assert {c["id"]: c["status"] for c in data["checks"]} == dict.fromkeys(
        ["bad-input", "try-again-json", "long-poll-deadline", "zstd-body", "oversized-body"], "pass"
    )
    assert ALL_SCENARIOS or data["scenarios"] == len(SCENARIOS)
    suites = ET.parse(out / "certify.junit.xml").getroot()
    assert suites.find(".//failure") is None and len(suites.findall(".//testcase")) >= 20
    assert "Certify report — PASS" in (out / "certify.html").read_text()
    assert "| Sampling | ✅" in (out / "certify.md").read_text()


def test_a_missing_endpoint_fails_its_features_naming_the_request(tmp_path: Path) -> None:
    """A server that never implemented sampling: the flow's sampling and logprobs fail, the rest pass."""
    with serving(wrap=partial(MissingEndpoint, path="/api/v1/asample")) as url:
        run = certify(CertifyOptions(url, KEY, (SDK,), tmp_path, scenarios=False, checks=False, step_timeout=60))
    report = build_certify_report(run)
    assert not report.ok
    failed = {f.feature: f for f in report.failures}
    assert "sampling" in failed
    sampling = failed["sampling"]
    assert sampling.request is not None and sampling.request.startswith("POST /api/v1/asample -> 404")
    assert sampling.answer is not None and "Not Found" in sampling.answer
    assert "§9.1" in sampling.protocol and sampling.sdk_where, sampling
    assert report.matrix["training"][SDK].status == "pass"
    assert report.matrix["checkpoints"][SDK].status == "pass"
    text = render_markdown(report)
    assert "POST /api/v1/asample -> 404" in text and "Certify report — FAIL" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--base-url", "ftp://x"], "expected http(s)://host[:port]"),
        (["--base-url", "http://127.0.0.1:9", "--api-key", "k", "--header", "nocolon"], "expected 'Name: value'"),
    ],
)
def test_bad_flags_exit_2_in_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["certify", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_a_key_the_sdk_refuses_exits_2_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["certify", "--base-url", "http://127.0.0.1:9", "--api-key", "dev"]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not start with 'tml-'" in err and len(err.splitlines()) == 1


def test_an_unreachable_server_exits_2_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["certify", "--base-url", "http://127.0.0.1:9", "--api-key", "tml-k", "--versions", SDK,
                   "--out", str(tmp_path)])  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("tinker-harness certify: cannot certify http://127.0.0.1:9")
