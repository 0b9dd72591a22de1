"""Behavioural diff across SDK generations: official SDK 0.38.0 vs 0.15.0 running the same flow against
the mock (versions reference §0). The known protocol changes must appear as findings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from parity_support import write_jsonl

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.reports.behaviour import diff_journals, load_journal
from tinker_harness.scenarios.sdk_flow import run_flow

pytestmark = pytest.mark.sdk


def _journal(version: str, factory: Callable[..., MockTinker], home: Path) -> list[dict[str, Any]]:
    mock = factory(ServerConfig(seed=3))
    run_flow(version, mock.env["TINKER_BASE_URL"], mock.env["TINKER_API_KEY"], home=home)
    return [e.to_json() for e in mock.journal.entries()]


def test_the_known_changes_between_0_15_and_0_38_are_found(
    tinker_mock_factory: Callable[..., MockTinker], tmp_path: Path
) -> None:
    new = load_journal(
        write_jsonl(tmp_path / "python" / "flow.jsonl", _journal("0.38.0", tinker_mock_factory, tmp_path / "h38"))
    )
    old = load_journal(
        write_jsonl(tmp_path / "port" / "flow.jsonl", _journal("0.15.0", tinker_mock_factory, tmp_path / "h15"))
    )
    findings, _ = diff_journals("flow", new, old)
    found = {f.id: f.severity.value for f in findings}

    known_changes = {
        # 0.15.0 starts with create_session: no client/config, no dynamic config (versions §0 item 4)
        "wire/not-called/client_config": "high",
        "wire/not-called/client_dynamic_config": "low",
        # 0.15.0 never finishes its session (versions §1)
        "wire/not-called/finish_session": "high",
        # forward/backward: JSON to /forward and /forward_backward, not protobuf (versions §0 item 2)
        "wire/encoding/forward_backward#content-type": "critical",
        "wire/path/forward_backward(forward_only)": "critical",
        # 0.38.0 restores by create-via-load; 0.15.0 asks weights_info then creates and loads (versions §1)
        "wire/extra-call/weights_info": "low",
        "wire/body-missing/load_weights#session_id": "critical",
        # 0.15.0 declares itself
        "wire/sdk-version/declared SDK version": "medium",
    }
    for finding_id, severity in known_changes.items():
        assert found.get(finding_id) == severity, f"{finding_id} not found as {severity}; found: {sorted(found)}"
    # exclude_unset bodies: no `type` tags anywhere in 0.15.0 (versions §0 item 1)
    assert "wire/body-missing/create_session#type" in found and "wire/body-missing/optim_step#type" in found
    # JSON nulls against protobuf's unset fields are no difference (0.15.0 sends loss_fn_config: null)
    assert not any("loss_fn_config" in i for i in found), sorted(found)
    by_id = {f.id: f for f in findings}
    evidence = by_id["wire/encoding/forward_backward#content-type"]
    assert evidence.python is not None and evidence.python.file == "python/flow.jsonl"
    assert evidence.port is not None and evidence.port.file == "port/flow.jsonl"
