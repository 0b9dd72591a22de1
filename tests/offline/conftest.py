"""Fixtures of the offline (Hugging Face Hub stand-in) tests: the plugin's fixtures, plus a clean SDK environment."""

from __future__ import annotations

import pytest
from sdk_env import SDK_ENV

from tinker_harness.mock_server.local import MockTinker


@pytest.fixture
def offline_sdk(
    tinker_offline_mock: MockTinker, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> MockTinker:
    """A hub-tokenizer mock with the offline assets in force and the official SDK pointed at it."""
    for name in SDK_ENV:
        if name not in tinker_offline_mock.env:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    return tinker_offline_mock
