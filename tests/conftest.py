"""Shared test configuration: Hypothesis profiles and the official-SDK environment fixture."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings
from sdk_env import SDK_ENV

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker

settings.register_profile(
    "ci", derandomize=True, database=None, print_blob=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def sdk_mock(
    tinker_mock_factory: Callable[..., MockTinker],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., MockTinker]]:
    """Start a mock and point the official SDK at it (environment restored after the test)."""

    def start(config: ServerConfig | None = None, **kwargs: object) -> MockTinker:
        mock = tinker_mock_factory(config, **kwargs)
        for name in SDK_ENV:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        for name, value in mock.env.items():
            monkeypatch.setenv(name, value)
        return mock

    yield start
