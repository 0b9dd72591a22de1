"""Offline stand-ins for what Tinker client code fetches from the Hugging Face Hub.

``write_offline_assets(dir)`` writes small tokenizers, configs and (optionally) base weights of every
served model in Hub-cache layout, and tiny datasets shaped like the ones tinker-cookbook's recipes
load; ``OfflineAssets.env`` is the environment a client needs to use them with no network. The
``tinker-harness offline-assets`` command and the pytest plugin's ``tinker_offline_assets`` fixture
call it; a server started with ``tokenizers="hub"`` serves models built on the same tokenizers.
"""

from tinker_harness.mock_server.offline.assets import OfflineAssets, write_offline_assets

__all__ = ["OfflineAssets", "write_offline_assets"]
