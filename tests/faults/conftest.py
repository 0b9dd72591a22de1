"""Fixtures of the fault tests (see fault_rig.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import tinker
from fault_rig import BASE_MODEL, Rig

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import start_mock


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("TINKER_API_KEY", "TINKER_BASE_URL", "TINKER_CREDENTIAL_CMD", "TINKER_PROJECT_ID", "TINKER_TAGS"):
            patch.delenv(name, raising=False)
        mock = start_mock(ServerConfig(client_config={"use_pyqwest_transport": True}), clock=Clock(frozen_at=1.8e9))
        for name, value in mock.env.items():
            patch.setenv(name, value)
        patch.setenv("HF_HUB_OFFLINE", "1")
        service = tinker.ServiceClient()
        training = service.create_lora_training_client(base_model=BASE_MODEL, rank=4).result()
        sampling = training.save_weights_and_get_sampling_client().result()
        yield Rig(mock, service, training, sampling)
        mock.server.faults.clear()
        service.close("success").result()
        mock.stop()
    assert "TINKER_BASE_URL" not in os.environ or os.environ["TINKER_BASE_URL"] != mock.base_url


@pytest.fixture
def faults(rig: Rig) -> Iterator[Rig]:
    yield rig
    rig.mock.server.faults.clear()
