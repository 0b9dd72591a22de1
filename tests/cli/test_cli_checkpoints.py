"""``tinker checkpoint …`` — the official CLI, as a subprocess, against the mock (protocol
reference §13). JSON output is asserted field by field; table output by its visible text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cli_support import ALICE, BOB, cli_config, entries, json_of, run_cli, run_many
from safetensors.numpy import load as load_safetensors

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.model import TrainingState
from tinker_harness.mock_server.peft_layout import adapter_tensors
from tinker_harness.mock_server.state_setup import add_checkpoint, add_run

pytestmark = pytest.mark.sdk


def _clock() -> Clock:
    return Clock(frozen_at=time.time())  # real "now": the CLI compares URL expiry with its own clock


def test_checkpoint_list_pages_past_1000(tinker_mock_factory: Callable[..., MockTinker], tmp_path: Path) -> None:
    mock = tinker_mock_factory(cli_config(), _clock())
    server = mock.server
    t0 = server.clock.now() - 5000
    first, second = add_run(server, ALICE), add_run(server, ALICE)
    for i in range(600):
        add_checkpoint(server, first, "weights", f"w{i:04d}", created_at=t0 + i)
    for i in range(501):
        add_checkpoint(server, second, "sampler_weights", f"s{i:04d}", created_at=t0 + 1000 + i)
    hidden = add_checkpoint(server, add_run(server, BOB), "weights", "bobs", created_at=t0 + 4000)

    every, by_run, table_all, table_run = run_many(
        mock,
        [
            ["--format", "json", "checkpoint", "list", "--limit", "0"],
            ["-f", "json", "checkpoint", "list", "--run-id", second.run_id],
            ["checkpoint", "list"],
            ["-f", "table", "checkpoint", "list", "--run-id", first.run_id],
        ],
        tmp_path,
    )
    listed = json_of(every)["checkpoints"]
    assert len(listed) == 1101 and len({c["tinker_path"] for c in listed}) == 1101
    assert listed[0]["checkpoint_id"] == "sampler_weights/s0500" and listed[-1]["checkpoint_id"] == "weights/w0000"
    assert [c["time"] for c in listed] == sorted((c["time"] for c in listed), reverse=True)
    assert hidden.tinker_path not in {c["tinker_path"] for c in listed}
    assert {c["checkpoint_type"] for c in listed} == {"training", "sampler"}
    assert all(c["size_bytes"] > 0 and c["public"] is False and c["expires_at"] is None for c in listed)
    run_listing = json_of(by_run)
    assert run_listing["run_id"] == second.run_id and len(run_listing["checkpoints"]) == 501
    assert run_listing["checkpoints"][0]["tinker_path"] == f"tinker://{second.run_id}/sampler_weights/s0000"

    assert table_all.returncode == 0 and "20 checkpoints (1081 more not shown, use --limit to see more)" in (
        table_all.stdout
    )
    assert table_run.returncode == 0 and f"600 checkpoints for run {first.run_id}" in table_run.stdout
    assert "weights/w0599" in table_run.stdout and "Never" in table_run.stdout

    queries = sorted(e.query for e in entries(mock, endpoint="list_user_checkpoints"))
    assert queries == ["limit=1000&offset=0", "limit=101&offset=1000", "limit=20&offset=0"]
    assert len(entries(mock, endpoint="list_checkpoints")) == 2


def test_checkpoint_info_publish_ttl_and_delete(tinker_mock_factory: Callable[..., MockTinker], tmp_path: Path) -> None:
    mock = tinker_mock_factory(cli_config(), _clock())
    server = mock.server
    run = add_run(server, ALICE, rank=6)
    a, b = add_checkpoint(server, run, "weights", "a"), add_checkpoint(server, run, "weights", "b")
    c, d = add_checkpoint(server, run, "sampler_weights", "c"), add_checkpoint(server, run, "external_weights", "d")
    foreign = add_checkpoint(server, add_run(server, BOB), "weights", "theirs")

    info_json, info_table, published, ttl = run_many(
        mock,
        [
            ["-f", "json", "checkpoint", "info", a.tinker_path],
            ["checkpoint", "info", a.tinker_path],
            ["checkpoint", "publish", a.tinker_path],
            ["checkpoint", "set-ttl", b.tinker_path, "--ttl", "7200"],
        ],
        tmp_path,
    )
    info = json_of(info_json)
    assert (info["checkpoint_id"], info["checkpoint_type"], info["tinker_path"]) == (
        "weights/a",
        "training",
        a.tinker_path,
    )
    assert (info["is_lora"], info["lora_rank"], info["size_bytes"]) == (True, 6, a.size_bytes)
    assert "Checkpoint: weights/a" in info_table.stdout and "Yes (Rank 6)" in info_table.stdout
    assert published.returncode == 0 and published.stdout == "" and a.public
    assert ttl.returncode == 0 and b.expires_at == server.clock.now() + 7200

    unpublished, deleted = run_many(
        mock,
        [
            ["checkpoint", "unpublish", a.tinker_path],
            [
                "-f",
                "json",
                "checkpoint",
                "delete",
                c.tinker_path,
                d.tinker_path,
                foreign.tinker_path,
                f"tinker://{run.run_id}/weights/missing",
                "--yes",
            ],
        ],
        tmp_path,
    )
    assert unpublished.returncode == 0 and not a.public
    outcome = json_of(deleted)
    assert outcome["deleted_count"] == 2
    failures = {f["tinker_path"]: f["error"] for f in outcome["failed"]}
    assert set(failures) == {foreign.tinker_path, f"tinker://{run.run_id}/weights/missing"}
    assert all("404" in error for error in failures.values())
    assert {k[1] for k in server.state.checkpoints if k[0] == run.run_id} == {"weights/a", "weights/b"}
    assert (foreign.run_id, foreign.checkpoint_id) in server.state.checkpoints  # another key's: untouched

    publish = [e.status for e in entries(mock, endpoint=["publish_checkpoint", "unpublish_checkpoint"])]
    ttl_bodies = [e.request_body for e in entries(mock, endpoint="set_checkpoint_ttl")]
    assert publish == [200, 200] and ttl_bodies == [{"ttl_seconds": 7200}]
    assert sorted(e.status for e in entries(mock, endpoint="delete_checkpoint")) == [200, 200, 404, 404]


def test_checkpoint_download_of_a_weights_checkpoint(
    tinker_mock_factory: Callable[..., MockTinker], tmp_path: Path
) -> None:
    mock = tinker_mock_factory(cli_config(), _clock())
    server = mock.server
    source = add_checkpoint(server, add_run(server, ALICE, rank=4, seed=7), "weights", "final")
    done = run_cli(mock, ["-f", "json", "checkpoint", "download", source.tinker_path, "-o", "out"], tmp_path)
    output = json_of(done)
    target = tmp_path / "out" / source.tinker_path.removeprefix("tinker://").replace("/", "_")
    assert output["checkpoint_path"] == source.tinker_path and tmp_path / output["destination"] == target
    assert sorted(p.name for p in target.iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
    assert output["file_size_bytes"] == sum(p.stat().st_size for p in target.iterdir())
    downloaded = load_safetensors((target / "adapter_model.safetensors").read_bytes())
    state = TrainingState.from_bytes(source.state)
    trained = adapter_tensors(state.weights, state.lora_config)
    assert sorted(downloaded) == sorted(trained) and len(trained) == 6
    assert all(np.array_equal(downloaded[name], trained[name]) for name in trained)

    names = [e.endpoint for e in entries(mock) if e.endpoint not in ("telemetry", "session_heartbeat")]
    flow = [n for n in names if n not in ("client_config", "client_dynamic_config", "retrieve_future", "get_info")]
    assert flow == [
        "create_session",
        "load_weights",
        "save_weights_external",
        "external_weights_urls",
        "set_checkpoint_ttl",
        None,  # the two signed downloads (harness paths)
        None,
        "delete_checkpoint",
        "finish_session",
    ]
    load = entries(mock, endpoint="load_weights")[0].request_body
    assert load["path"] == source.tinker_path and load["optimizer"] is False
    export = entries(mock, endpoint="save_weights_external")[0].request_body
    assert export["path"] == "download" and export["ttl_seconds"] == 3600
    assert entries(mock, endpoint="finish_session")[0].request_body["reason"] == {"type": "success"}
    exports = [k for k in server.state.checkpoints if k[1].startswith("external_weights/")]
    assert exports == []  # the temporary export was deleted after the download
    (run,) = [r for r in server.state.runs.values() if r.run_id != source.run_id]
    assert run.user_metadata == {"created_by": "tinker checkpoint download"}
