"""Fault plans themselves: validation, determinism, matching, the control API and the CLI flag."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tinker_harness.mock_server.faults.engine import CallFacts, FaultEngine
from tinker_harness.mock_server.faults.plan import FaultPlan, FaultPlanError
from tinker_harness.mock_server.local import MockTinker

HEALTH = CallFacts(endpoint="healthz", method="GET", path="/api/v1/healthz")


def _pattern(seed: int, calls: int = 40) -> list[bool]:
    engine = FaultEngine(default_seed=0)
    engine.load(
        FaultPlan.parse(
            {"seed": seed, "rules": [{"match": {"endpoint": "healthz", "probability": 0.5}, "action": {"status": 503}}]}
        )
    )
    return [engine.decide(HEALTH, now=0.0) is not None for _ in range(calls)]


def test_same_seed_same_faults_in_the_same_order() -> None:
    assert _pattern(7) == _pattern(7)
    assert _pattern(7) != _pattern(8)
    assert 5 < sum(_pattern(7)) < 35


def test_after_nth_and_times_bound_a_rule() -> None:
    engine = FaultEngine(default_seed=0)
    engine.load(
        FaultPlan.parse(
            {
                "rules": [
                    {"name": "third", "match": {"endpoint": "healthz", "nth": 3}, "action": {"status": 500}},
                    {
                        "name": "two-after-five",
                        "match": {"endpoint": "healthz"},
                        "after": 5,
                        "times": 2,
                        "action": {"status": 502},
                    },
                ]
            }
        )
    )
    fired = [d.rule.name if (d := engine.decide(HEALTH, now=0.0)) else None for _ in range(10)]
    # counters count the calls that reach a rule: call 3 was taken by the first rule
    assert fired == [None, None, "third", None, None, None, "two-after-five", "two-after-five", None, None]
    assert [r["fired"] for r in engine.status()["rules"]] == [1, 2]


def test_matching_on_request_type_session_and_sdk_version() -> None:
    engine = FaultEngine(default_seed=0)
    engine.load(
        FaultPlan.parse(
            {
                "rules": [
                    {
                        "match": {
                            "endpoint": ["retrieve_future"],
                            "request_type": "Sample",
                            "session_id": "s1",
                            "sdk_version": "0.3*",
                        },
                        "action": {"expire": {}},
                    }
                ]
            }
        )
    )
    facts = CallFacts(
        endpoint="retrieve_future",
        method="POST",
        path="/api/v1/retrieve_future",
        request_type="Sample",
        session_id="s1",
        sdk_version="0.38.0",
    )
    assert engine.decide(facts, 0.0) is not None
    for change in ({"request_type": "OptimStep"}, {"session_id": "s2"}, {"sdk_version": "0.15.0"}):
        assert engine.decide(CallFacts(**{**facts.__dict__, **change}), 0.0) is None


def test_lognormal_and_uniform_latency_are_seeded() -> None:
    def latencies(seed: int) -> list[float]:
        engine = FaultEngine(default_seed=seed)
        engine.load(
            FaultPlan.parse(
                {
                    "rules": [
                        {"match": {"endpoint": "healthz"}, "latency": {"lognormal": [-3, 0.5]}},
                        {"match": {"endpoint": "get_info"}, "latency": {"uniform": [0.1, 0.2]}},
                    ]
                }
            )
        )
        out = [engine.decide(HEALTH, 0.0).latency for _ in range(5)]  # type: ignore[union-attr]
        info = CallFacts(endpoint="get_info", method="POST", path="/api/v1/get_info")
        out += [engine.decide(info, 0.0).latency for _ in range(5)]  # type: ignore[union-attr]
        return out

    assert latencies(1) == latencies(1) != latencies(2)
    assert all(0.1 <= x <= 0.2 for x in latencies(1)[5:])


@pytest.mark.parametrize(
    ("plan", "mentions"),
    [
        ({"rules": [{"match": {"endpoint": "nope"}, "action": {"status": 500}}]}, "unknown endpoint"),
        ({"rules": [{"match": {"endpoint": "healthz"}, "action": {"status": 700}}]}, "rules.0.action"),
        ({"rules": [{"match": {"endpoint": "healthz"}, "surprise": True, "action": {"status": 500}}]}, "surprise"),
        ({"rules": [{"match": {"endpoint": "healthz"}}]}, "needs an action, a latency"),
        ({"rules": [{"action": {"transport": "explode"}}]}, "rules.0.action"),
        ({"rules": [{"latency": {"fixed": 1, "uniform": [0, 1]}}]}, "exactly one of fixed"),
        ({"rulez": []}, "rulez"),
    ],
)
def test_invalid_plans_are_refused_naming_the_field(plan: dict[str, object], mentions: str) -> None:
    with pytest.raises(FaultPlanError, match="invalid fault plan") as caught:
        FaultPlan.parse(plan, "plan.yaml")
    assert mentions in str(caught.value) and "plan.yaml" in str(caught.value)


def test_control_api_loads_whole_plans_only(tinker_mock: MockTinker) -> None:
    url = f"{tinker_mock.base_url}/_harness/control/faults"
    good = {
        "rules": [{"name": "flaky-health", "match": {"endpoint": "healthz"}, "times": 1, "action": {"status": 503}}]
    }
    half_bad = {"rules": [*good["rules"], {"match": {"endpoint": "healthz"}, "action": {"status": 99}}]}
    refused = httpx.put(url, json=half_bad)
    assert refused.status_code == 400 and "rules.1.action" in refused.json()["detail"]
    assert tinker_mock.server.faults.plan.rules == []  # nothing of the half-bad plan applied
    assert httpx.put(url, json=good).status_code == 200
    assert httpx.get(f"{tinker_mock.base_url}/api/v1/healthz").status_code == 503
    assert httpx.get(f"{tinker_mock.base_url}/api/v1/healthz").status_code == 200
    status = httpx.get(url).json()
    assert status["rules"] == [{"index": 0, "name": "flaky-health", "matched": 2, "fired": 1}]
    assert httpx.delete(url).json()["rules"] == []
    assert httpx.put(url, content=b"{nope").status_code == 400
    entries = tinker_mock.journal.entries(endpoint="healthz")
    assert entries[0].fault == "rule #0 'flaky-health': status" and entries[1].fault is None


def test_cli_serve_loads_a_fault_plan_file(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        yaml.safe_dump(
            {
                "seed": 3,
                "rules": [
                    {
                        "match": {"endpoint": "healthz"},
                        "times": 1,
                        "action": {"status": {"status": 418, "body": {"detail": "tea"}}},
                    }
                ],
            }
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "tinker_harness", "serve", "--port", "0", "--faults", str(plan)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        assert httpx.get(f"{url}/api/v1/healthz").status_code == 418
        assert httpx.get(f"{url}/api/v1/healthz").status_code == 200
    finally:
        process.terminate()
        process.wait(20)


def test_cli_refuses_a_bad_plan_file(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("rules:\n  - match: {endpoint: healthz}\n    action: {status: 99}\n")
    done = subprocess.run(
        [sys.executable, "-m", "tinker_harness", "serve", "--faults", str(plan)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and str(plan) in done.stderr and "rules.0.action" in done.stderr


def test_from_file_takes_a_str_or_a_path_and_an_empty_file_is_an_error(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text("rules:\n  - action: {status: 503}\n", encoding="utf-8")
    assert FaultPlan.from_file(str(plan_file)) == FaultPlan.from_file(plan_file)
    plan_file.write_text("", encoding="utf-8")
    with pytest.raises(FaultPlanError, match="empty fault plan"):
        FaultPlan.from_file(str(plan_file))
