"""Every SDK generation runs the same flow against the mock, over each transport it has.

Each version of the official SDK runs unmodified in its own virtual environment
(``scenarios.sdk_envs``), as a subprocess driving ``scenarios/sdk_flow/driver.py``, once per
variant of ``scenarios.sdk_flow.variants``. What the journal must show is derived from that
version's wire profile (read from its wheel), not from a table kept by hand: every endpoint called
is one the SDK has, bodies and results are encoded as the SDK's code says, and each switch the
server turns on changes the wire as the SDK's code says. The default test run covers the oldest
and the newest generation; ``TINKER_HARNESS_SDK_VERSIONS`` (``nox -s sdk_matrix``: every break
point) selects others. Environments are built in parallel before the first test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tinker_harness.contracts.catalogue import endpoint_named
from tinker_harness.contracts.surface.profile import WireProfile, load_profile
from tinker_harness.mock_server.generations import generation_of
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.scenarios.sdk_flow import flow_python, run_flow
from tinker_harness.scenarios.sdk_flow.variants import FlowVariant, variants_for

VERSIONS = os.environ.get("TINKER_HARNESS_SDK_VERSIONS", "0.15.0,0.38.0").split(",")
VARIANTS = [variant for version in VERSIONS for variant in variants_for(load_profile(version))]

pytestmark = pytest.mark.sdk


@pytest.fixture(scope="session", autouse=True)
def _sdk_envs_built_in_parallel() -> Iterator[None]:
    """Build (or find) every selected version's venv at once: pip downloads overlap (file-locked)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(flow_python, VERSIONS))
    yield


def _expected_fwdbwd_encoding(profile: WireProfile, variant: FlowVariant) -> str:
    encoding = profile.encoding_of("POST", "/api/v1/forward_backward")
    assert encoding is not None
    if encoding.request == "json|protobuf":  # protobuf under a client-config switch
        switch = encoding.condition in variant.switches
        return "application/x-protobuf" if switch else "application/json"
    return "application/x-protobuf" if encoding.request == "protobuf" else "application/json"


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_the_flow_passes_for_every_sdk_generation(
    variant: FlowVariant, tinker_mock_factory: Callable[..., MockTinker], tmp_path: Path
) -> None:
    version = variant.version
    profile = load_profile(version)
    mock = tinker_mock_factory(variant.server_config())
    out = run_flow(version, mock.base_url, mock.api_key, home=tmp_path, skip=variant.skip).result
    on = set(variant.switches)

    # What the flow observed: the model learns, evaluates and resumes consistently.
    assert all(later < earlier for earlier, later in zip(out["losses"], out["losses"][1:], strict=False)), out["losses"]
    assert out["compute_logprobs"][0] is None
    np.testing.assert_allclose(out["compute_logprobs"][1:], out["forward_logprobs"], atol=1e-5)
    np.testing.assert_allclose(out["resumed_logprobs"], out["forward_logprobs"], atol=1e-6)
    assert out["custom_loss"]["metrics"]["custom/neg_ll:sum"] == pytest.approx(out["forward_loss"], rel=1e-5)
    assert out["state_path"] == f"tinker://{out['model_id']}/weights/state-8"
    assert out["checkpoints"] == sorted([out["state_path"], out["sampler_path"]])
    assert out["resumed_model_id"].endswith(":train:1")
    assert all(1 <= len(tokens) <= 5 for tokens in out["samples"] + out["shadow_samples"])
    assert "Qwen/Qwen3-8B" in out["models"]

    # The wire: no contract violation, and every call is an endpoint this SDK version has.
    entries = mock.journal.entries()
    assert [v for e in entries for v in e.violations] == []
    sdk_calls = [e for e in entries if e.endpoint is not None]
    assert {e.sdk_generation for e in sdk_calls if e.endpoint != "telemetry"} == {generation_of(version)}
    for entry in sdk_calls:
        endpoint = endpoint_named(entry.endpoint)
        assert profile.has_endpoint(endpoint.method, endpoint.path), f"{version} called {endpoint.path}"
    names = {e.endpoint for e in sdk_calls}

    # Encodings as the SDK's code says (profile.encodings, from the wheel).
    fwdbwd = mock.journal.entries(endpoint="forward_backward")
    assert {e.request_headers["content-type"] for e in fwdbwd} == {_expected_fwdbwd_encoding(profile, variant)}
    accept = (profile.encoding_of("POST", "/api/v1/retrieve_future") or profile.encodings[0]).accept
    results = {
        e.response_headers.get("content-type")
        for e in mock.journal.entries(endpoint="retrieve_future")
        if e.status == 200 and e.future_request_id in {f.future_request_id for f in fwdbwd}
    }
    wants_proto = any("x-protobuf" in a for a in accept)
    assert results <= ({"application/x-protobuf"} if wants_proto else {"application/json"}), results

    # What the version has, and what the server's switches turn on.
    has = profile.has_endpoint
    assert ("client_config" in names) == has("POST", "/api/v1/client/config")
    assert ("client_dynamic_config" in names) == has("POST", "/api/v1/client/dynamic_config")
    assert ("finish_session" in names) == has("POST", "/api/v1/sessions/{}/finish") == out["finished"]
    assert ("search_sessions" in names) == has("POST", "/api/v1/sessions/search")
    uses_forward = has("POST", "/api/v1/forward") and not {"fwd_via_fwdbwd", "proto_write_fwdbwd"} <= on
    assert ("forward" in names) == uses_forward
    assert ("retrieve_futures" in names) == ("sample_use_retrieve_futures" in on)
    assert ("join_sampling_session" in names) == ("sample_join_sampling_session" in on)
    assert ("create_custom_loss" in names) == ("custom_loss_server_side" in on)
    assert out["custom_loss"]["mode"] == ("server" if "custom_loss_server_side" in on else out["custom_loss"]["mode"])
    loads = mock.journal.entries(endpoint="load_weights")
    # 0.24.1 adds session-addressed load_weights behind a switch; 0.38.0 drops the switch (always on)
    session_load = "session_id" in profile.types["LoadWeightsRequest"].fields
    switch = "create_model_via_load_weights"
    by_session = session_load and (switch not in profile.client_config or switch in on)
    if by_session:  # create-via-load: one load_weights addressed by session (§8.1)
        assert "session_id" in loads[0].request_body and "weights_info" not in names
    else:  # weights_info -> create_model -> legacy load_weights {model_id, seq_id} (versions §1)
        assert "model_id" in loads[0].request_body and "weights_info" in names
    archive = mock.journal.entries(endpoint="checkpoint_archive")
    if has("GET", "/api/v1/training_runs/{}/checkpoints/{}/archive") and "archive" not in variant.skip:
        assert "adapter_model.safetensors" in out["archive"] and archive[0].status == 302
    else:
        assert out["archive"] == [] and archive == []
