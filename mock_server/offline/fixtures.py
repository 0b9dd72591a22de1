"""pytest fixtures for running Hub-dependent client code (tinker-cookbook) offline against the mock.

* ``tinker_offline_assets`` (session) — :func:`write_offline_assets` into a temporary directory once
  per session (per xdist worker); the ini option ``tinker_offline_weights`` (one model per line)
  names models that also get stand-in base weights.
* ``tinker_offline_env`` — for one test: the Hugging Face variables of ``OfflineAssets.env`` set, the
  working directory moved to the datasets folder (``datasets`` resolves ``org/name`` there), and, if
  ``huggingface_hub`` or ``datasets`` were imported before the test (they read these variables at
  import), their module-level settings patched to match. Everything is restored afterwards.
* ``tinker_offline_mock`` — ``tinker_offline_env`` plus a mock server serving the stand-in tokenizers
  (``tokenizers="hub"``) with the assets' completion plan, and ``TINKER_BASE_URL``/``TINKER_API_KEY``
  pointing at it.

Only ``pytest`` is imported at module load; the harness's modules load when a fixture is used.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tinker_harness.mock_server.local import MockTinker
    from tinker_harness.mock_server.offline.assets import OfflineAssets

__all__ = ["tinker_offline_assets", "tinker_offline_env", "tinker_offline_mock"]

WEIGHTS_INI = "tinker_offline_weights"


def add_ini_options(parser: pytest.Parser) -> None:
    parser.addini(WEIGHTS_INI, "models whose stand-in base weights tinker_offline_assets writes", type="linelist")


@pytest.fixture(scope="session")
def tinker_offline_assets(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> OfflineAssets:
    from tinker_harness.mock_server.offline.assets import write_offline_assets

    weights = [str(name) for name in pytestconfig.getini(WEIGHTS_INI)]
    return write_offline_assets(tmp_path_factory.mktemp("tinker-offline"), weights=weights)


def _patch_imported(monkeypatch: pytest.MonkeyPatch, assets: OfflineAssets) -> None:
    """Module-level copies of the variables, for libraries imported before the fixture ran."""
    hub = sys.modules.get("huggingface_hub.constants")
    if hub is not None:
        monkeypatch.setattr(hub, "HF_HUB_CACHE", str(assets.hub_cache))
        monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
    datasets_config = sys.modules.get("datasets.config")
    if datasets_config is not None:
        monkeypatch.setattr(datasets_config, "HF_HUB_OFFLINE", True)
        monkeypatch.setattr(datasets_config, "HF_DATASETS_OFFLINE", True)
        monkeypatch.setattr(datasets_config, "HF_DATASETS_CACHE", assets.hf_home / "datasets")


@pytest.fixture
def tinker_offline_env(tinker_offline_assets: OfflineAssets, monkeypatch: pytest.MonkeyPatch) -> OfflineAssets:
    for name, value in tinker_offline_assets.env.items():
        monkeypatch.setenv(name, value)
    _patch_imported(monkeypatch, tinker_offline_assets)
    monkeypatch.chdir(tinker_offline_assets.datasets)
    return tinker_offline_assets


@pytest.fixture
def tinker_offline_mock(tinker_offline_env: OfflineAssets, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockTinker]:
    from tinker_harness.mock_server.completion_plan import load_completion_plan
    from tinker_harness.mock_server.config import ServerConfig
    from tinker_harness.mock_server.local import DEFAULT_TEST_KEY, start_mock

    plan = load_completion_plan(Path(tinker_offline_env.completion_plan))
    mock = start_mock(ServerConfig(tokenizers="hub", completion_plan=plan), api_key=DEFAULT_TEST_KEY)
    try:
        for name, value in mock.env.items():
            monkeypatch.setenv(name, value)
        yield mock
    finally:
        mock.stop()
