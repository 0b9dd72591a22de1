"""Run the official ``tinker`` CLI (the executable of the installed ``tinker`` package) against a mock.

Each run is a subprocess with its own ``HOME`` and only the ``TINKER_*`` variables given here, so the
developer's credentials never leak in. Independent commands can run concurrently (each CLI start
imports the SDK, about 1.5 s of CPU).

The servers tell the SDK to use its httpx transport (``use_pyqwest_transport: false``, a server
choice the SDK honours, §1): with the default pyqwest transport, and torch installed (``import
tinker`` imports it), about one CLI process in twenty aborts while the interpreter shuts down
(SIGABRT, "Fatal Python error: Aborted", no Python frame) after its work is done and printed.
That is the SDK's process teardown, not the mock; in-process SDK tests cover pyqwest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.local import MockTinker

TINKER = Path(sys.executable).with_name("tinker")
ALICE = "tml-cli-alice-0001"
BOB = "tml-cli-bob-0002"
TIMEOUT = 120  # an unreachable server makes the SDK retry for minutes: never wait that long


def cli_config(**fields: Any) -> ServerConfig:
    """A server config for CLI runs (see the module docstring for the transport choice)."""
    return ServerConfig(client_config={"pjwt_auth_enabled": False, "use_pyqwest_transport": False}, **fields)


def cli_env(mock: MockTinker, home: Path, api_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TINKER_", "CLOUDFLARE_"))}
    env.update(TINKER_BASE_URL=mock.base_url, TINKER_API_KEY=api_key, HOME=str(home), HF_HUB_OFFLINE="1", COLUMNS="250")
    return env


def run_cli(
    mock: MockTinker, args: Sequence[str], home: Path, *, api_key: str = ALICE, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TINKER), *args],
        env=cli_env(mock, home, api_key),
        cwd=cwd or home,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def run_many(
    mock: MockTinker, commands: Sequence[Sequence[str]], home: Path, *, api_key: str = ALICE, workers: int = 2
) -> list[subprocess.CompletedProcess[str]]:
    """Run independent CLI commands concurrently; results in the order of ``commands``."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda args: run_cli(mock, args, home, api_key=api_key), commands))


def json_of(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, f"{done.args} exited {done.returncode}:\n{done.stderr}"
    return json.loads(done.stdout)


def entries(mock: MockTinker, **filters: Any) -> list[JournalEntry]:
    """Journal entries once the journal has been quiet for 50 ms (an exchange is journaled just after
    its answer is sent, so a client can be done before the last entry exists)."""
    last = -1
    for _ in range(100):
        if mock.journal.total == last:
            break
        last = mock.journal.total
        time.sleep(0.05)
    return mock.journal.entries(**filters)
