"""What each catalogue scenario needs of its server, derived from the scenario itself (nothing hand-kept)."""

from __future__ import annotations

from tinker_harness.scenarios.catalog import load_catalog
from tinker_harness.scenarios.certify.run import portable_scenarios, with_base_model
from tinker_harness.scenarios.needs import portable, server_needs
from tinker_harness.scenarios.steps import BASE_MODEL

CATALOG = load_catalog()


def test_each_need_is_derived_from_the_scenario() -> None:
    assert "fault_plan" in server_needs(CATALOG.get("futures/poll/try-again-then-result"))
    assert "clock_control" in server_needs(CATALOG.get("checkpoints/ttl-expiry"))
    assert "server_config" in server_needs(CATALOG.get("bootstrap/empty-client-config"))
    # Counting the whole listing holds only on a server with no data but the scenario's own.
    assert server_needs(CATALOG.get("checkpoints/list-training-runs"))["fresh_server"].startswith("whole listing")
    assert set(server_needs(CATALOG.get("bootstrap/startup-order"))) == {"journal"}


def test_certify_runs_what_a_journalling_proxy_can_serve_and_says_why_not_the_rest() -> None:
    selected, excluded = portable_scenarios(CATALOG, [])
    assert {s.id for s in selected} == {s.id for s in portable(CATALOG.scenarios, ("journal",))}
    assert len(selected) + len(excluded) == len(CATALOG.scenarios)
    assert not any(set(server_needs(s)) - {"journal"} for s in selected)
    assert "fault_plan" in excluded["futures/poll/try-again-then-result"]
    assert "sampling/compute-logprobs" in {s.id for s in selected}


def test_another_base_model_changes_the_steps_not_what_the_scenario_needs() -> None:
    scenario = CATALOG.get("training/rl-ppo")
    moved = with_base_model(scenario, "Qwen/Qwen3.5")
    assert "Qwen/Qwen3.5" in str(moved.steps) and BASE_MODEL not in str(moved.steps)
    assert server_needs(moved) == server_needs(scenario) == {}
