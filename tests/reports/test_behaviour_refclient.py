"""Behavioural diff of the reference client against the official SDK 0.38.0 (§20).

Both run the same flow (tests/twin_flows.py) against fresh, identically seeded mocks. The diff must
show only what the reference client documents as different — its own version string, no telemetry,
no ``x-stainless-*`` platform headers — and nothing above medium severity. A planted wire change in
the reference client's journal (protobuf forward/backward sent as JSON) must surface as critical.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from parity_support import write_jsonl
from twin_flows import reference_training, sdk_training

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.reports.behaviour import diff_journals, load_journal
from tinker_harness.reports.findings import Finding

pytestmark = pytest.mark.sdk
CONFIG = ServerConfig(client_config={"pjwt_auth_enabled": False})

# Findings above "low" that the reference client is known to produce, and why.
DOCUMENTED = {
    # It names itself: "0.38.0+tinker-harness-reference-client.<version>" (reference_client._config).
    "wire/sdk-version/declared SDK version": "medium",
    # The SDK's standalone RestClient fetches client/config a second time (a second request, not a retry).
    "wire/call-count/client_config#requests": "medium",
}


def _journals(sdk_mock: Callable[..., MockTinker], tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for side, flow in (("python", sdk_training), ("port", reference_training)):
        mock = sdk_mock(CONFIG)
        flow(mock.base_url, mock.api_key)
        out[side] = [e.to_json() for e in mock.journal.entries()]
    return out


def _diff(journals: dict[str, list[dict[str, Any]]], tmp_path: Path) -> dict[str, Finding]:
    python = load_journal(write_jsonl(tmp_path / "python" / "flow.jsonl", journals["python"]))
    port = load_journal(write_jsonl(tmp_path / "port" / "flow.jsonl", journals["port"]))
    findings, _ = diff_journals("flow", python, port)
    return {f.id: f for f in findings}


def test_only_documented_differences(sdk_mock: Callable[..., MockTinker], tmp_path: Path) -> None:
    journals = _journals(sdk_mock, tmp_path)
    found = _diff(journals, tmp_path)
    above_low = {i: f.severity.value for i, f in found.items() if f.severity.value != "low"}
    assert above_low == DOCUMENTED
    low = {i for i, f in found.items() if f.severity.value == "low"}
    assert "wire/not-called/telemetry" in low
    assert "wire/header-missing/x-stainless-os" in low
    assert not any(i.startswith(("wire/body-missing/", "wire/body-extra/", "wire/encoding/")) for i in found)

    # Plant a wire change: the port sends forward_backward as JSON instead of protobuf (§7).
    for entry in journals["port"]:
        if entry["endpoint"] == "forward_backward":
            entry["request_headers"]["content-type"] = "application/json"
            entry["request_body"] = entry["request_body"]["message"]
    planted = _diff(journals, tmp_path / "planted")
    finding = planted["wire/encoding/forward_backward#content-type"]
    assert finding.severity.value == "critical"
    assert finding.port is not None and finding.port.file == "port/flow.jsonl"
    assert isinstance(finding.port.line, int) and finding.port.line >= 1
