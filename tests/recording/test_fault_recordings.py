"""Every fault-plan action, recorded from the official SDK through the proxy, compiles into a scenario of
what the *program* did, and that scenario passes on the SDK adapter and on the reference-client adapter.

The "live" service is a mock running one fault rule per case. The program is a fixed SDK flow (a
training client, forward_backward, optim_step, a sampler, a sample, close) whose calls catch the
errors a fault may surface, so each call is one step whatever the SDK retried, polled or resubmitted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
import tinker
import yaml
from recording_support import datum, sdk_env
from sdk_support import SENTENCES
from tinker import types

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.faults.plan import FaultPlan
from tinker_harness.mock_server.recording import AppServer, read_cassette
from tinker_harness.mock_server.recording.proxy import RecordingProxy
from tinker_harness.mock_server.runner import BackgroundServer
from tinker_harness.mock_server.tokenizer import encode
from tinker_harness.scenarios.adapter_process import AdapterProcess, Hello
from tinker_harness.scenarios.catalog import load_suite_file
from tinker_harness.scenarios.from_cassette import write_scenario

pytestmark = pytest.mark.sdk

PROGRAM = ["create_training_client", "forward_backward", "optim_step", "save_weights_and_get_sampling_client"]
PROGRAM += ["sample", "close"]
ADAPTERS = {
    "python-sdk": [sys.executable, "-m", "tinker_harness.scenarios.adapters.python_sdk"],
    "reference": [sys.executable, "-m", "tinker_harness.scenarios.adapters.reference_client"],
}


def _rule(endpoint: str, action: dict[str, Any], *, times: int = 1, **match: Any) -> dict[str, Any]:
    return {
        "seed": 3,
        "rules": [{"name": "live", "match": {"endpoint": endpoint, **match}, "times": times, "action": action}],
    }


# One case per action the fault-plan vocabulary documents (README "Fault plans").
CASES: dict[str, dict[str, Any]] = {
    "status-429-retry-after": _rule("asample", {"status": {"status": 429, "headers": {"retry-after-ms": "30"}}}),
    "status-500-submit": _rule("optim_step", {"status": {"status": 500, "body": {"detail": "boom"}}}),
    "status-empty-400": _rule("forward_backward", {"status": {"status": 400, "empty_body": True}}),
    "status-503-poll": _rule("retrieve_future", {"status": {"status": 503}}, times=2),
    "try-again-polls": _rule("retrieve_future", {"try_again": {"queue_state": "paused_capacity"}}, times=3),
    "try-again-duration": _rule("retrieve_future", {"try_again": {"queue_state": "active", "seconds": 0.3}}),
    "complete-metadata": _rule("retrieve_future", {"complete_metadata": {"response_payload_size": 2048}}),
    "fail-user": _rule(
        "retrieve_future", {"fail": {"error": "bad data", "category": "user"}}, request_type="ForwardBackward"
    ),
    "fail-server": _rule("retrieve_future", {"fail": {"category": "server"}}, request_type="OptimStep"),
    "expire-resubmit": _rule("retrieve_future", {"expire": {}}, request_type="Sample"),
    "expire-resubmit-training": _rule("retrieve_future", {"expire": {}}, request_type="ForwardBackward"),
    "status-404-fatal": _rule("optim_step", {"status": {"status": 404, "body": {"detail": "no such model"}}}),
    "transport-reset": _rule("optim_step", {"transport": "reset"}),
    "latency": {
        "seed": 3,
        "rules": [{"name": "slow", "match": {"endpoint": "asample"}, "times": 1, "latency": {"fixed": 0.2}}],
    },
}


def _readme_plan() -> dict[str, Any]:
    """The fault plan the README shows under "Fault plans" (a 429, try_again polls, then 410 and a resubmit)."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Fault plans") :]
    block = section[section.index("```yaml") + len("```yaml") : section.index("```", section.index("```yaml") + 7)]
    plan: dict[str, Any] = yaml.safe_load(block)
    return plan


CASES["readme-plan"] = _readme_plan()


def _settle(call: Any) -> Any:
    """The program's own error handling: a failed call is an outcome, not the end of the run."""
    try:
        return call.result() if hasattr(call, "result") else call
    except (tinker.TinkerError, Exception) as exc:  # noqa: BLE001 - the program records any failure
        return exc


def run_program(base_url: str) -> list[Any]:
    service = tinker.ServiceClient(base_url=base_url, api_key="tml-fault-recording")
    training = service.create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=4).result()
    outcomes = [_settle(training.forward_backward([datum(t) for t in SENTENCES], "cross_entropy"))]
    outcomes.append(_settle(training.optim_step(types.AdamParams(learning_rate=0.05))))
    sampling = training.save_weights_and_get_sampling_client().result()
    params = types.SamplingParams(max_tokens=4, seed=5, temperature=1.0)
    outcomes.append(_settle(sampling.sample(types.ModelInput.from_ints(encode("The model")), 1, params)))
    service.close("success").result()
    return outcomes


@pytest.fixture(scope="module")
def adapters_hello(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Hello]:
    hellos = {}
    for name, command in ADAPTERS.items():
        probe = AdapterProcess(command, {**os.environ, "HF_HUB_OFFLINE": "1"}, tmp_path_factory.mktemp(name) / "e")
        probe.start()
        try:
            hellos[name] = probe.hello()
        finally:
            probe.stop()
    return hellos


_RECORDINGS: dict[str, Path] = {}


def record(case: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program recorded through the proxy against a live mock running the case's fault (once per case)."""
    if case in _RECORDINGS:
        return _RECORDINGS[case]
    server = MockServer(ServerConfig(seed=11, client_config={"pjwt_auth_enabled": False}))
    server.faults.load(FaultPlan.parse(CASES[case]))
    path = tmp_path_factory.mktemp(case) / "live.yaml"
    with pytest.MonkeyPatch.context() as patch:
        sdk_env(patch, path.parent / "home")
        with BackgroundServer(server) as upstream:
            proxy = RecordingProxy(upstream.base_url, path)
            with AppServer(proxy) as recorder:
                run_program(recorder.base_url)
            proxy.close()
    assert any(e.fault for e in server.journal.entries()), f"the live fault of {case} never fired"
    _RECORDINGS[case] = path
    return path


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_recorded_fault_compiles_into_the_programs_steps_and_passes(
    case: str, adapter: str, adapters_hello: dict[str, Hello], tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tinker_harness.scenarios.runner import run_scenario

    tmp_path = tmp_path_factory.mktemp("run")
    compiled = tmp_path / "compiled.yaml"
    write_scenario(read_cassette(record(case, tmp_path_factory)), compiled)
    (scenario,) = load_suite_file(compiled)[0].scenarios
    assert [step.op for step in scenario.steps] == PROGRAM
    result = run_scenario(scenario, ADAPTERS[adapter], adapters_hello[adapter], work_dir=tmp_path)
    assert result.status == "pass", [(f.title, f.problems, f.observed[:8]) for f in result.failures]


def test_a_broken_connection_is_recorded_as_the_502_the_client_saw(tmp_path_factory: pytest.TempPathFactory) -> None:
    cassette = read_cassette(record("transport-reset", tmp_path_factory))
    broken = [i for i in cassette.interactions if i.response.status == 502]
    assert [i.tinker.endpoint for i in broken] == ["optim_step"]
    assert "upstream_error" in broken[0].tinker.notes
    compiled = tmp_path_factory.mktemp("broken") / "compiled.yaml"
    write_scenario(cassette, compiled)
    (scenario,) = load_suite_file(compiled)[0].scenarios
    statuses = {c.select.endpoint: c.statuses for c in scenario.wire if c.select is not None and c.statuses}
    assert statuses["optim_step"] == [502, 200]
