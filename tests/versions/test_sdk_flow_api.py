"""``scenarios.sdk_flow.run_flow`` as another tool uses it: any base URL, any base model, no HOME given.

Runs with this interpreter's SDK (0.38.0), so no venv is built; the mock is only the server under test.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.scenarios.sdk_flow import FlowError, run_flow

pytestmark = pytest.mark.sdk

VERSION = "0.38.0"


def test_the_flow_trains_the_base_model_it_is_given(tinker_mock_factory: Callable[..., MockTinker]) -> None:
    mock = tinker_mock_factory(ServerConfig(seed=5))
    run = run_flow(VERSION, mock.base_url, mock.api_key, base_model="meta-llama/Llama-3.2-1B")
    assert run.version == VERSION and run.base_url == mock.base_url
    assert all(later < earlier for earlier, later in zip(run.result["losses"], run.result["losses"][1:], strict=False))
    created = mock.journal.entries(endpoint="create_model")
    assert [e.request_body["base_model"] for e in created] == ["meta-llama/Llama-3.2-1B"]
    assert [v for e in mock.journal.entries() for v in e.violations] == []


def test_a_server_that_refuses_the_base_model_is_a_flow_error_ending_with_the_sdk_error(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    mock = tinker_mock_factory(ServerConfig(seed=5))
    with pytest.raises(FlowError) as failure:
        run_flow(VERSION, mock.base_url, mock.api_key, base_model="nobody/no-such-model", timeout=120)
    message = str(failure.value)
    assert message.startswith(f"tinker {VERSION} flow against {mock.base_url} failed:")
    assert "'code': 'unsupported-base-model'" in message and "'path': '/api/v1/create_model'" in message
    assert [e.status for e in mock.journal.entries(endpoint="create_model")][-1] == 400


def test_only_known_steps_can_be_skipped() -> None:
    with pytest.raises(ValueError, match=r"unknown flow steps to skip: sampling \(skippable: archive\)"):
        run_flow(VERSION, "http://127.0.0.1:9", "tml-unused", skip=("sampling",))
