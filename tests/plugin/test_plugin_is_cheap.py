"""Loading the pytest plugin (every pytest run does) imports none of the server: that waits for a fixture."""

from __future__ import annotations

import json
import subprocess
import sys

# What a test run that never uses the fixtures must not pay for.
HEAVY = (
    "tinker_harness.mock_server.app",
    "tinker_harness.mock_server.local",
    "tinker_harness.contracts.catalogue",
    "starlette",
    "uvicorn",
    "numpy",
    "tokenizers",
    "pydantic",
    "vcr",
)

_PROBE = """
import json, sys
import pytest
import tinker_harness.mock_server.pytest_plugin as plugin
loaded = sorted(sys.modules)
plugin.MockTinker  # the compatibility name loads the server's modules on demand
print(json.dumps({"after_import": loaded, "after_use": sorted(sys.modules)}))
"""


def test_importing_the_plugin_loads_no_server_module() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120)
    modules = json.loads(done.stdout)
    loaded_early = [name for name in HEAVY if name in modules["after_import"]]
    assert loaded_early == []
    assert "tinker_harness.mock_server.app" in modules["after_use"]
