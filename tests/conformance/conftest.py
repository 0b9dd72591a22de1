"""Shared conformance runs: the whole catalogue against each shipped adapter, once per test session.

Runs are computed once across pytest-xdist workers: the first worker to need a run takes a file
lock in the shared base temp directory, runs it and stores the JSON report there; the others
read it. Tests then assert per scenario from the stored results.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conformance_support import run_catalogue


@pytest.fixture(scope="session")
def shared_run(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Callable[[str, list[str], Path | None], dict[str, Any]]:
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    cache: dict[str, dict[str, Any]] = {}

    def get(name: str, command: list[str], known: Path | None) -> dict[str, Any]:
        if name in cache:
            return cache[name]
        stored = root / f"conformance-{name}.json"
        with (root / f"conformance-{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not stored.exists():
                stored.write_text(json.dumps(run_catalogue(command, root / name, known=known)))
        cache[name] = json.loads(stored.read_text())
        return cache[name]

    return get
