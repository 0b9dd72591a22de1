"""Record the official SDK's flow through `tinker-harness record`, then replay it without the upstream.

The "live" service is a second mock with its own seed and a fault plan (try_again polls, 429s on a
submit and on a sample), stopped before anything is replayed. One recording serves every test of
the module: the replay server (`serve --replay`) and in-process vcrpy playback must give the
official SDK the live run's losses and sampled tokens; planted secrets must be absent; a deviating
client gets a near-miss diagnosis; `cassette to-scenario` output must load in the scenario catalog.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import tinker
from recording_support import (
    API_KEY,
    CliServer,
    FlowResult,
    cassette_bytes_everywhere,
    fault_names,
    live_upstream,
    planted_left,
    run_cli,
    run_flow,
    sdk_env,
)

from tinker_harness.mock_server.recording import AppServer, ReplayApp, read_cassette, use_cassette
from tinker_harness.mock_server.recording.bodies import json_or_none

pytestmark = pytest.mark.sdk

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


@dataclass
class Recording:
    path: Path
    live: FlowResult
    upstream_url: str
    faults: list[str]
    recorder_exit: int
    recorder_output: str


@pytest.fixture(scope="module")
def sdk_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        sdk_env(patch, tmp_path_factory.mktemp("home"))
        yield


@pytest.fixture(scope="module")
def recording(sdk_environment: None, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """The flow recorded through the proxy CLI; the upstream is stopped when this returns."""
    path = tmp_path_factory.mktemp("cassettes") / "session.yaml"
    with live_upstream(pyqwest=True) as upstream:
        proxy = CliServer("record", "--upstream", upstream.base_url, "--out", str(path), "--port", "0")
        try:
            live = run_flow(proxy.url)
        finally:
            code, output, _ = proxy.stop()
        faults = fault_names(upstream.server)
    return Recording(path, live, upstream.base_url, faults, code, output)


def assert_same_results(replayed: FlowResult, live: FlowResult) -> None:
    assert replayed.losses == live.losses
    assert replayed.sampled_tokens == live.sampled_tokens
    assert replayed.prompt_logprobs == live.prompt_logprobs
    assert replayed.computed_logprobs == live.computed_logprobs
    assert (replayed.state_path, replayed.sampler_path) == (live.state_path, live.sampler_path)
    assert replayed.run_lora_rank == live.run_lora_rank == 4


def test_recorded_session_holds_the_upstreams_faults(recording: Recording) -> None:
    assert recording.recorder_exit == 0, recording.recorder_output
    cassette = read_cassette(recording.path)
    assert f"recorded {len(cassette.interactions)} interaction(s)" in recording.recorder_output
    assert sum("try_again" in f for f in recording.faults) == 3  # the upstream's own fault plan fired
    assert sum(f.endswith(": status") for f in recording.faults) == 2
    statuses = [(i.tinker.endpoint, i.response.status) for i in cassette.interactions]
    assert ("optim_step", 429) in statuses and ("asample", 429) in statuses
    answers = [json_or_none(i.response.body) for i in cassette.interactions if i.tinker.endpoint == "retrieve_future"]
    assert sum(isinstance(a, dict) and a.get("type") == "try_again" for a in answers) == 3
    views = [i.tinker.response_view for i in cassette.interactions if i.tinker.response_view]
    assert {v["protobuf"] for v in views} == {"ForwardBackwardOutput", "SampleResponse"}  # readable beside the bytes
    with pytest.raises(httpx.ConnectError):
        httpx.get(recording.upstream_url + "/api/v1/healthz", timeout=2)


def test_sdk_replays_against_serve_replay_with_the_upstream_gone(recording: Recording) -> None:
    server = CliServer("serve", "--replay", str(recording.path), "--port", "0")
    try:
        replayed = run_flow(server.url, api_key="tml-another-key-for-replay")  # headers are not matched
        status = httpx.get(server.url + "/_harness/replay", timeout=5).json()
    finally:
        code, output, err = server.stop()
    assert_same_results(replayed, recording.live)
    assert status["misses"] == [] and status["unserved"] == [], status
    assert status["served"] == status["interactions"]
    assert code == 0, err
    assert "0 unmatched request(s)" in output


def test_same_cassette_replays_in_process_with_vcrpy(recording: Recording) -> None:
    recorded_config = read_cassette(recording.path).interactions[0]
    assert recorded_config.tinker.endpoint == "client_config"
    assert json_or_none(recorded_config.response.body)["use_pyqwest_transport"] is True
    with use_cassette(recording.path, record_mode="none") as cassette:
        replayed = run_flow(UNREACHABLE)
        from vcr.errors import CannotOverwriteExistingCassetteException

        with pytest.raises(CannotOverwriteExistingCassetteException):  # the network stays blocked
            httpx.post(UNREACHABLE + "/api/v1/create_session", json={"tags": ["unrecorded"]})
    assert_same_results(replayed, recording.live)
    assert cassette.play_count >= 30
    # The config answer steered the flow's clients onto httpx's transport (clients earlier tests left in this
    # process may still flush telemetry to their own servers through pyqwest; those are not the flow's).
    assert not [url for url in cassette.pyqwest_redirected if url.startswith(UNREACHABLE)]


def test_planted_secrets_never_reach_the_cassette(recording: Recording) -> None:
    assert planted_left(recording.path) == []
    everything = cassette_bytes_everywhere(recording.path).decode("latin-1")
    cassette = read_cassette(recording.path)
    first = cassette.interactions[0].request
    for name in ("x-api-key", "cf-access-client-id", "cf-access-client-secret", "cookie", "authorization"):
        assert (first.header(name) or "").startswith("<redacted:"), name
    session = next(i for i in cassette.interactions if i.tinker.endpoint == "create_session")
    assert json_or_none(session.request.body)["user_metadata"]["api_key"].startswith("<redacted:")
    fwd = next(i for i in cassette.interactions if i.tinker.endpoint == "forward_backward")
    note = fwd.tinker.request_view["message"]["loss_fn_config"]["note"]
    assert note.startswith("<redacted:") and note.encode() in fwd.request.body  # re-encoded protobuf, scrubbed
    assert "tml-" not in everything.replace("tml-tinker", "")
    clean = run_cli("cassette", "check", str(recording.path))
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_cassette_check_catches_hand_planted_credentials(recording: Recording, tmp_path: Path) -> None:
    lines = recording.path.read_text(encoding="utf-8").splitlines()
    key_line = next(n for n, line in enumerate(lines) if "x-api-key:" in line) + 1  # the value is on the next line
    lines[key_line] = "      - tml-hand-planted-0123456789"
    body_line = next(n for n, line in enumerate(lines) if line.strip().startswith('body: \'{"tags"'))
    lines[body_line] = lines[body_line].replace('"tags":[]', '"tags":["Bearer abcdefghijklmnop1234"]')
    planted = tmp_path / "planted.yaml"
    planted.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("cassette", "check", str(planted))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{planted}:{key_line + 1}: API key" in result.stdout
    assert f"{planted}:{body_line + 1}: bearer token" in result.stdout
    assert "0123456789" not in result.stdout  # findings do not repeat the secret
    assert "possible credential(s) found" in result.stderr


def test_deviating_client_gets_a_near_miss_diagnosis(recording: Recording) -> None:
    app = ReplayApp(read_cassette(recording.path))
    with AppServer(app) as server, pytest.raises(tinker.NotFoundError) as failure:
        run_flow(server.base_url, learning_rate=0.07)
    body = failure.value.body
    assert isinstance(body, dict) and body["code"] == "replay-no-match", body
    assert body["method"] == "POST" and body["path"] == "/api/v1/optim_step"
    assert body["request_id"].startswith("replay-") and body["idempotency_key"].startswith("stainless-python-retry-")
    closest = body["closest"][0]
    assert closest["request"] == "POST /api/v1/optim_step" and closest["failed"] == ["body"]
    assert "$.body.adam_params.learning_rate: recorded 0.05, received 0.07" in closest["differences"]
    assert closest["where"].startswith(f"{recording.path}:")
    assert "closest:" in body["detail"] and body["detail"].startswith("REPLAY:")
    assert len(app.status()["misses"]) == 1


def test_to_scenario_output_loads_in_the_scenario_catalog(recording: Recording, tmp_path: Path) -> None:
    from tinker_harness.scenarios.catalog import load_suite_file

    out = tmp_path / "recorded.yaml"
    result = run_cli("cassette", "to-scenario", str(recording.path), "--out", str(out), "--id", "recorded/sdk-flow")
    assert result.returncode == 0, result.stderr
    suite, _ = load_suite_file(out)
    (scenario,) = suite.scenarios
    assert scenario.id == "recorded/sdk-flow"
    ops = [step.op for step in scenario.steps]
    assert ops == [
        "create_training_client",
        *["forward_backward", "optim_step"] * 3,
        "save_state",
        "save_weights_for_sampler",
        "save_weights_and_get_sampling_client",
        "sample",
        "compute_logprobs",
        "get_training_run",
        "close",
    ]
    assert scenario.steps[1].wire_args()["data"] == "three"
    assert scenario.steps[-2].wire_args() == {"training_run_id": "$train.model_id"}
    actions = {(rule.match.endpoint, type(rule.action).__name__) for rule in scenario.setup.faults}
    assert actions == {("retrieve_future", "TryAgain"), ("optim_step", "StatusFault"), ("asample", "StatusFault")}
    statuses = {c.select.endpoint: c.statuses for c in scenario.wire if c.select is not None and c.statuses}
    assert statuses["optim_step"] == [200, 429, 200, 200] and statuses["asample"] == [429, 200, 200]
    assert API_KEY not in out.read_text(encoding="utf-8")


def test_scenario_from_the_recording_passes_the_conformance_runner(recording: Recording, tmp_path: Path) -> None:
    """The generated scenario runs on a fresh mock (recorded faults reproduced) with the Python SDK adapter."""
    from tinker_harness.scenarios.adapter_process import AdapterProcess
    from tinker_harness.scenarios.catalog import load_suite_file
    from tinker_harness.scenarios.runner import run_scenario

    out = tmp_path / "recorded.yaml"
    assert run_cli("cassette", "to-scenario", str(recording.path), "--out", str(out)).returncode == 0
    (scenario,) = load_suite_file(out)[0].scenarios
    command = [sys.executable, "-m", "tinker_harness.scenarios.adapters.python_sdk"]
    probe = AdapterProcess(command, {**os.environ, "HF_HUB_OFFLINE": "1"}, tmp_path / "hello.stderr.txt")
    probe.start()
    try:
        hello = probe.hello()
    finally:
        probe.stop()
    result = run_scenario(scenario, command, hello, work_dir=tmp_path)
    assert result.status == "pass", [(f.title, f.problems, f.observed[:8]) for f in result.failures]
