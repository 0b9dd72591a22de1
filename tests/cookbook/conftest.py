"""tinker-cookbook's recipes, unmodified, offline against the mock (run by ``nox -s cookbook``).

These tests need tinker-cookbook 0.6.1 and its heavy requirements (torch, transformers, datasets),
which the default test run does not install: they are collected only when ``TINKER_HARNESS_COOKBOOK=1``
(the nox session sets it after installing them). Each recipe runs as its users run it, ``python -m
tinker_cookbook.recipes.…`` with command-line overrides only, in a subprocess whose environment
points at the offline assets and at a mock serving the stand-in tokenizers with the assets'
completion plan; the mock journals every exchange to a file the test checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tinker_harness.mock_server.local import MockTinker

if os.environ.get("TINKER_HARNESS_COOKBOOK") != "1":
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def tinker_offline_assets(tmp_path_factory: pytest.TempPathFactory) -> object:
    from recipe_runs import COOKBOOK_MODEL

    from tinker_harness.mock_server.offline.assets import write_offline_assets

    return write_offline_assets(tmp_path_factory.mktemp("tinker-offline"), weights=[COOKBOOK_MODEL])


@pytest.fixture
def cookbook_mock(tinker_offline_assets: object, tmp_path: Path) -> Iterator[MockTinker]:
    """A hub-tokenizer mock with the completion plan, journalling every exchange to ``tmp_path``."""
    from tinker_harness.mock_server.completion_plan import load_completion_plan
    from tinker_harness.mock_server.config import ServerConfig
    from tinker_harness.mock_server.local import start_mock
    from tinker_harness.mock_server.offline.assets import OfflineAssets

    assert isinstance(tinker_offline_assets, OfflineAssets)
    config = ServerConfig(
        tokenizers="hub",
        completion_plan=load_completion_plan(tinker_offline_assets.completion_plan),
        journal_size=1_000_000,
        journal_path=tmp_path / "journal.jsonl",
    )
    mock = start_mock(config, api_key="tml-cookbook-ci")
    try:
        yield mock
    finally:
        mock.stop()
