"""The wire diff on real journals: tinkex v0.4.0 against the official SDK 0.38.0 over the whole catalogue
(tests/fixtures/tinkex-0.4.0). One finding per distinct difference, with the scenarios where it shows."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from parity_support import PLANTED, SDK_VERSION
from tinkex_data import extract_journals

from tinker_harness.cli import main
from tinker_harness.reports.behaviour import compare_journal_dirs, load_journal, observe
from tinker_harness.reports.findings import Finding


@pytest.fixture(scope="module")
def journals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return extract_journals(tmp_path_factory.mktemp("tinkex"))


@pytest.fixture(scope="module")
def findings(journals: Path) -> dict[str, Finding]:
    found, _, _ = compare_journal_dirs(journals)
    return {f.id: f for f in found}


# What a port maintainer must learn from these journals, with the severity the report's rules give.
MUST_FIND = {
    # JSON forward/backward instead of protobuf (§7): an encoding, critical
    "wire/encoding/forward_backward#content-type": "critical",
    # tinkex declares itself SDK 0.15.0
    "wire/sdk-version/declared SDK version": "medium",
    # no client/config at start-up (§4.1): a missing endpoint, high
    "wire/not-called/client_config": "high",
    # null-valued fields the SDK omits: body keys, critical
    "wire/body-null/create_session#project_id": "critical",
    "wire/body-null/create_model#lora_config.seed": "critical",
    # /api/v1/forward instead of forward_backward with forward_only: a path, critical
    "wire/path/forward_backward(forward_only)": "critical",
    # a new seq_id on each asample retry
    "wire/retry-changes/asample#seq_id": "medium",
    # retry-after-ms ignored on a 5xx
    "wire/retry-after-ignored/optim_step#retry-after-5xx": "medium",
    # a 429 on a poll surfaced at once; 408/409 on asample not retried; no resubmit after a 410;
    # no retry with a new key after x-should-retry: false
    "wire/poll-count/retrieve_future(optim_step)#after-429": "medium",
    "wire/retry-count/asample#after-408": "medium",
    "wire/retry-count/asample#after-409": "medium",
    "wire/retry-count/asample#after-future-410": "medium",
    "wire/retry-count/optim_step#after-5xx-x-should-retry:false": "medium",
    # never finishes its session (§4.4); never polls create_model futures
    "wire/not-called/finish_session": "high",
    "wire/not-polled/retrieve_future(create_model)": "medium",
    # asks for JSON results where the SDK asks for protobuf
    "wire/encoding/retrieve_future#accept": "critical",
}


def test_the_known_tinkex_differences_are_found(findings: dict[str, Finding]) -> None:
    found = {i: f.severity.value for i, f in findings.items()}
    missing = {i: s for i, s in MUST_FIND.items() if found.get(i) != s}
    assert not missing, f"not found as expected: {missing}; found: {sorted(found)}"
    forward = findings["wire/path/forward_backward(forward_only)"]
    assert "/api/v1/forward " in forward.title
    assert forward.scenarios == ["training/custom-loss", "training/forward-only"]
    version = findings["wire/sdk-version/declared SDK version"]
    assert "0.15.0" in version.title and "0.38.0" in version.title and len(version.scenarios) == 77
    seq = findings["wire/retry-changes/asample#seq_id"]
    assert seq.port is not None and seq.port.text == "0, 1" and seq.python is not None and seq.python.text == "0, 0"
    ignored = findings["wire/retry-after-ignored/optim_step#retry-after-5xx"]
    assert ignored.scenarios == ["submit/5xx-retried-same-key"]
    assert ignored.port is not None and ignored.port.text.startswith("asked 0.02 s, waited 0.5")


def test_one_finding_per_distinct_difference_listing_its_scenarios(
    findings: dict[str, Finding], journals: Path
) -> None:
    assert all(f.scenarios == sorted(set(f.scenarios)) and f.scenarios for f in findings.values())
    assert not any(f.subject.startswith(("training/", "sampling/", "futures/")) for f in findings.values())
    # 77 scenario pairs, a few dozen distinct differences; a header missing everywhere is one finding.
    assert 40 <= len(findings) <= 80, len(findings)
    assert len(findings["wire/not-called/client_config"].scenarios) == 77
    missing_header = findings["wire/header-missing/x-sdk-version"]
    assert missing_header.title.startswith("the port never sends header x-sdk-version; the SDK sends it on ")
    # Evidence points at real lines of the named journals.
    for finding in findings.values():
        for evidence in (finding.python, finding.port):
            if evidence is not None:
                lines = (journals / evidence.file).read_text().splitlines()
                assert 1 <= evidence.line <= len(lines), (finding.id, evidence)


def test_polls_are_grouped_per_future(findings: dict[str, Finding], journals: Path) -> None:
    """Polls of different futures (create_model's and optim_step's) are not repeated polls of one."""
    polls = {i for i in findings if i.startswith("wire/poll-count/")}
    assert polls == {"wire/poll-count/retrieve_future(optim_step)#after-429"}
    python = load_journal(journals / "python" / "futures__poll__try-again-then-result.jsonl")
    assert len({e.future for e in python if e.endpoint == "retrieve_future"}) == 2


def test_severities_follow_the_report_rules(findings: dict[str, Finding]) -> None:
    # a content-type header on a GET (no body) is informational, not an encoding
    content_type = findings["wire/header-extra/content-type"]
    assert content_type.severity.value == "low" and "list_checkpoints" in content_type.title
    assert not any(i.startswith("wire/encoding/") and "#content-type" in i and "list_" in i for i in findings)
    rank = Counter(f.severity.value for f in findings.values() if f.kind.startswith("body-") and f.kind != "body-value")
    assert set(rank) == {"critical"}
    assert all(f.severity.value == "critical" for f in findings.values() if f.kind in ("encoding", "path"))


def test_a_journal_against_itself_has_no_difference(journals: Path) -> None:
    for side in ("python", "port"):
        for path in sorted((journals / side).glob("*.jsonl")):
            entries = load_journal(path)
            assert observe(path.stem, entries, entries) == [], path


def test_report_size_is_proportional_to_distinct_findings(journals: Path, tmp_path: Path) -> None:
    """Repeating every scenario under a second name adds scenario names, not findings."""
    doubled = tmp_path / "doubled"
    shutil.copytree(journals, doubled)
    for side in ("python", "port"):
        for path in sorted((journals / side).glob("*.jsonl")):
            shutil.copy(path, doubled / side / f"again__{path.name}")
    args = ["parity", "--python-sdk", SDK_VERSION, "--port", str(PLANTED)]
    sizes = {}
    for name, folder in (("once", journals), ("twice", doubled)):
        out = tmp_path / name
        assert main([*args, "--journals", str(folder), "--output", str(out)]) == 0
        report = json.loads((out / "parity-tinker-0.38.0.json").read_text())
        wire = [f for f in report["findings"] if f["domain"] == "wire"]
        sizes[name] = (len(wire), (out / "parity-tinker-0.38.0.md").stat().st_size, wire)
    assert sizes["once"][0] == sizes["twice"][0]
    assert sizes["twice"][1] < 1.3 * sizes["once"][1]  # Markdown lists at most 12 scenarios per finding
    assert sizes["once"][1] < 150_000, sizes["once"][1]
    once = {f["id"]: len(f["scenarios"]) for f in sizes["once"][2]}
    twice = {f["id"]: len(f["scenarios"]) for f in sizes["twice"][2]}
    assert twice == {i: 2 * n for i, n in once.items()}
    markdown = (tmp_path / "once" / "parity-tinker-0.38.0.md").read_text()
    assert "Seen in 77 scenarios: bootstrap/api-key-header," in markdown and "and 65 more" in markdown
