"""Stoplight Prism (``@stoplight/prism-cli``), the reference mock, serving the OpenAPI document this project generates.

Prism is installed once with npm into ``benchmarks/.cache/prism`` (git-ignored) and started with
``node`` directly, so the measured process is Prism itself and not an ``npx`` wrapper. Its log level
is ``warn`` (the default ``info`` writes several lines per request, which would slow it down and
misrepresent it); the mock likewise logs at ``warning`` by default.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from benchmarks.measure import Unavailable
from benchmarks.processes import ROOT, ServerProcess, free_port

PRISM_PACKAGE = "@stoplight/prism-cli@5"
CACHE = ROOT / "benchmarks" / ".cache"
PRISM_DIR = CACHE / "prism"
PRISM_ENTRY = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js"


def prism_entry() -> Path:
    """Prism's CLI script, installed with npm on first use."""
    if PRISM_ENTRY.exists():
        return PRISM_ENTRY
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise Unavailable("Prism needs Node.js and npm (Debian packages nodejs and npm)")
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["npm", "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", PRISM_PACKAGE],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not PRISM_ENTRY.exists():
        raise Unavailable(f"npm install {PRISM_PACKAGE} failed: {done.stderr.strip()[-500:]}")
    return PRISM_ENTRY


def prism_version() -> str:
    package = PRISM_ENTRY.parents[1] / "package.json"
    return str(json.loads(package.read_text())["version"]) if package.exists() else "?"


def openapi_document(port: int) -> Path:
    """The generated OpenAPI document, with Prism's own address as its server URL."""
    from tinker_harness.contracts.openapi import build_openapi

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "openapi.json"
    path.write_text(json.dumps(build_openapi(f"http://127.0.0.1:{port}")), encoding="utf-8")
    return path


def prism_server() -> ServerProcess:
    entry = prism_entry()
    port = free_port()
    document = openapi_document(port)
    command = ["node", str(entry), "mock", str(document), "--port", str(port), "--verboseLevel", "warn"]
    return ServerProcess("Prism", command, port=port)
