"""The recorded tinkex v0.4.0 run (tests/fixtures/tinkex-0.4.0): public functions, conformance, journals."""

from __future__ import annotations

import gzip
import json
import tarfile
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "fixtures" / "tinkex-0.4.0"


def public_functions() -> list[dict[str, Any]]:
    functions: list[dict[str, Any]] = json.loads((DATA / "public-functions.json").read_text())["functions"]
    return functions


def corrected_run() -> dict[str, Any]:
    """The conformance report of the run with the corrected adapter (tinkex first, then the SDK)."""
    report: dict[str, Any] = json.loads(gzip.decompress((DATA / "corrected-adapter.json.gz").read_bytes()))
    return report


def extract_journals(target: Path) -> Path:
    """Unpack the journals under ``target``; returns the directory holding ``python/`` and ``port/``."""
    with tarfile.open(DATA / "journals.tar.gz") as archive:
        archive.extractall(target, filter="data")
    return target / "journals"
