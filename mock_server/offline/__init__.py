"""Offline stand-ins for what Tinker client code fetches from the Hugging Face Hub.

``write_offline_assets(dir)`` (:mod:`.assets`) writes small tokenizers, configs and (optionally)
base weights of every served model in Hub-cache layout, tiny datasets shaped like the ones
tinker-cookbook's recipes load and a completion plan for RL; ``OfflineAssets.env`` is the
environment a client needs to use them with no network. The ``tinker-harness offline-assets``
command and the pytest plugin's fixtures (:mod:`.fixtures`) call it; a server started with
``tokenizers="hub"`` serves models built on the same tokenizers. Nothing heavy is imported here.
"""
