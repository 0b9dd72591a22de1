"""``tinker run …``, ``tinker model list``, ``tinker session export-trace`` and ``tinker auth status`` —
the official CLI as a subprocess against the mock (protocol reference §13).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cli_support import ALICE, BOB, cli_config, entries, json_of, run_cli, run_many

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.state_setup import add_checkpoint, add_run

pytestmark = pytest.mark.sdk


def test_run_model_session_and_auth_commands(tinker_mock_factory: Callable[..., MockTinker], tmp_path: Path) -> None:
    config = cli_config(api_keys=(ALICE, BOB), trace_export_pending_polls=0)
    mock = tinker_mock_factory(config, Clock(frozen_at=time.time()))
    server = mock.server
    t0 = server.clock.now() - 600
    runs = [add_run(server, ALICE, rank=r, created_at=t0 + r) for r in (2, 4, 8)]
    latest = add_checkpoint(server, runs[2], "weights", "final", created_at=t0 + 100)
    theirs = add_run(server, BOB, created_at=t0 + 50)
    with httpx.Client(base_url=f"{mock.base_url}/api/v1", headers={"X-API-Key": ALICE}) as api:
        session_id = api.post("/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "cli"}).json()[
            "session_id"
        ]
        assert api.post("/session_heartbeat", json={"session_id": session_id}).status_code == 200

    results = run_many(
        mock,
        [
            ["-f", "json", "run", "list"],
            ["run", "list", "--columns", "id,model,owner,lora,checkpoint"],
            ["-f", "json", "run", "info", runs[2].run_id],
            ["-f", "json", "run", "info", theirs.run_id],
            ["-f", "json", "model", "list"],
            ["model", "list", "llama"],
            ["-f", "json", "session", "export-trace", session_id, "--output", "trace.pftrace"],
            ["auth", "status"],
        ],
        tmp_path,
    )
    run_list, run_table, run_info, foreign_info, models, llamas, trace, status = results

    listed = json_of(run_list)["runs"]
    assert [r["training_run_id"] for r in listed] == [r.run_id for r in reversed(runs)]
    assert [r["lora_rank"] for r in listed] == [8, 4, 2] and {r["base_model"] for r in listed} == {"Qwen/Qwen3-8B"}
    assert run_table.returncode == 0 and all(r.run_id in run_table.stdout for r in runs)
    assert theirs.run_id not in run_table.stdout and "Qwen/Qwen3-8B" in run_table.stdout
    info = json_of(run_info)
    assert info["training_run_id"] == runs[2].run_id and info["lora_rank"] == 8
    assert info["last_checkpoint"]["tinker_path"] == latest.tinker_path and info["is_lora"] is True
    assert foreign_info.returncode == 1 and "not found" in foreign_info.stderr.lower()

    names = [m["model_name"] for m in json_of(models)["models"]]
    assert names == [spec.model_name for spec in config.base_models]
    assert llamas.returncode == 0 and "meta-llama/Llama-3.2-1B" in llamas.stdout and "Qwen" not in llamas.stdout

    exported = json_of(trace)
    destination = tmp_path / exported["destination"]
    assert exported["session_id"] == session_id and exported["file_size_bytes"] == destination.stat().st_size
    events = json.loads(destination.read_text())["traceEvents"]
    assert [e["name"] for e in events[:2]] == ["POST /api/v1/create_session", "POST /api/v1/session_heartbeat"]

    assert status.returncode == 0
    assert "Credentials available: yes" in status.stdout and "Tinker accessible: yes" in status.stdout
    outsider = run_cli(mock, ["auth", "status"], tmp_path, api_key="tml-cli-not-listed-0003")
    assert "Tinker accessible: no" in outsider.stdout
    assert [e.status for e in entries(mock, endpoint="get_server_capabilities")] == [200, 200, 200]
    refused = [e for e in entries(mock) if e.status == 401]
    assert refused and all(e.response_body["code"] == "unknown-api-key" for e in refused)
    assert [e.query for e in entries(mock, endpoint="list_training_runs")][:2] == [
        "limit=20&offset=0&access_scope=owned"
    ] * 2
