"""Every SDK generation runs the same flow against one mock (versions reference §0, §10).

Each version of the official SDK runs in its own virtual environment (``scenarios.sdk_envs``), as a
subprocess driving ``sdk_flow_driver.py``. The default test run covers the oldest and the newest
generation; ``TINKER_HARNESS_SDK_VERSIONS`` (used by ``nox -s sdk_matrix``) selects others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tinker

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.generations import generation_of
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.scenarios.sdk_envs import ensure_sdk_env

DRIVER = Path(__file__).with_name("sdk_flow_driver.py")
VERSIONS = os.environ.get("TINKER_HARNESS_SDK_VERSIONS", "0.15.0,0.38.0").split(",")

pytestmark = pytest.mark.sdk


def _python_for(version: str) -> str:
    return sys.executable if version == tinker.__version__ else str(ensure_sdk_env(version))


def _run_flow(version: str, mock: MockTinker, home: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINKER_")}
    env.update(mock.env, HOME=str(home), HF_HUB_OFFLINE="1", SDK_VERSION=version)
    done = subprocess.run([_python_for(version), str(DRIVER)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, f"tinker {version} flow failed:\n{done.stderr[-4000:]}"
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("version", VERSIONS)
def test_the_flow_passes_for_every_sdk_generation(
    version: str, tinker_mock_factory: Callable[..., MockTinker], tmp_path: Path
) -> None:
    mock = tinker_mock_factory(ServerConfig())
    out = _run_flow(version, mock, tmp_path)
    generation = generation_of(version)

    assert all(later < earlier for earlier, later in zip(out["losses"], out["losses"][1:], strict=False)), out["losses"]
    assert out["compute_logprobs"][0] is None
    np.testing.assert_allclose(out["compute_logprobs"][1:], out["forward_logprobs"], atol=1e-5)
    np.testing.assert_allclose(out["resumed_logprobs"], out["forward_logprobs"], atol=1e-6)
    assert out["state_path"] == f"tinker://{out['model_id']}/weights/state-8"
    assert out["checkpoints"] == sorted([out["state_path"], out["sampler_path"]])
    assert out["resumed_model_id"].endswith(":train:1")
    assert all(1 <= len(tokens) <= 5 for tokens in out["samples"])
    assert "Qwen/Qwen3-8B" in out["models"]

    entries = mock.journal.entries()
    assert [v for e in entries for v in e.violations] == []
    sdk_calls = [e for e in entries if e.endpoint not in (None, "telemetry")]
    assert {e.sdk_generation for e in sdk_calls} == {generation}
    names = [e.endpoint for e in entries]
    fwdbwd = mock.journal.entries(endpoint="forward_backward")
    content_types = {e.request_headers["content-type"] for e in fwdbwd}
    result_types = {
        e.response_headers.get("content-type")
        for e in mock.journal.entries(endpoint="retrieve_future")
        if e.status == 200 and e.future_request_id in {f.future_request_id for f in fwdbwd}
    }
    if generation in ("0.15", "0.22"):
        assert content_types == {"application/json"} and "forward" in names  # JSON training, /forward
    else:
        assert content_types == {"application/x-protobuf"} and "forward" not in names
    # results are negotiated on Accept: JSON for 0.15, protobuf for everyone who accepts it
    assert result_types == ({"application/json"} if generation == "0.15" else {"application/x-protobuf"})
    assert ("client_config" in names) == (generation != "0.15")
    assert ("client_dynamic_config" in names) == (generation in ("0.30", "0.38"))
    assert ("finish_session" in names) == (generation in ("0.30", "0.38"))
    loads = mock.journal.entries(endpoint="load_weights")
    if generation == "0.38":  # create-via-load: one load_weights addressed by session (§8.1)
        assert "session_id" in loads[0].request_body and "weights_info" not in names
    else:  # weights_info -> create_model -> legacy load_weights {model_id, seq_id} (versions §1)
        assert "model_id" in loads[0].request_body and "weights_info" in names
    if generation == "0.22":  # pyqwest would follow the archive's 302 itself; this generation gets httpx
        config = mock.journal.entries(endpoint="client_config")[0].response_body
        assert config["use_pyqwest_transport"] is False
    if generation == "0.38":
        assert out["archive"] == []
    else:
        assert "adapter_model.safetensors" in out["archive"]
        assert mock.journal.entries(endpoint="checkpoint_archive")[0].status == 302
