"""One adapter process for many scenarios: started once per worker, reset between scenarios, each scenario
still on a mock of its own with a client of its own."""

from __future__ import annotations

import sys
from pathlib import Path

from tinker_harness.scenarios.catalog import load_catalog
from tinker_harness.scenarios.conform import probe, run_adapter

ADAPTER = [sys.executable, str(Path(__file__).resolve().parents[2] / "scenarios" / "adapters" / "python_sdk.py")]
IDS = ["training/rl-ppo", "sampling/compute-logprobs", "checkpoints/delete", "bootstrap/create-session-body"]


def test_a_reused_adapter_runs_each_scenario_with_a_fresh_client(tmp_path: Path) -> None:
    scenarios = load_catalog().select(IDS)
    hello = probe(ADAPTER)
    assert hello.reset
    run = run_adapter(scenarios, ADAPTER, hello, jobs=1, work_dir=tmp_path, reuse=True)
    assert [r.status for r in run.results] == ["pass"] * len(IDS), [(r.scenario_id, r.failures) for r in run.results]
    # One process served them all (a per-scenario adapter leaves one stderr file per scenario).
    assert sorted(p.name for p in tmp_path.glob("*.stderr.txt")) == ["adapter-0.stderr.txt"]
    for result in run.results:  # each on its own mock, with one session of its own
        sessions = [e for e in result.entries if e.endpoint == "create_session"]
        assert len(sessions) == 1, result.scenario_id
