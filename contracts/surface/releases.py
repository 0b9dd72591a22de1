"""Release dates of the official SDK, from the package index (PEP 691 JSON, PEP 700 ``upload-time``).

The dates of every ``tinker`` release are fetched once (``tinker-harness sdk-generations
--refresh-dates``) and stored in ``profiles/releases.json``, so the docs and reports that show
them need no network. A release's date is the earliest upload time of its files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

__all__ = ["INDEX_URL", "RELEASES_FILE", "fetch_release_dates", "release_dates"]

INDEX_URL = "https://pypi.org/simple/tinker/"
RELEASES_FILE = Path(__file__).resolve().parent / "profiles" / "releases.json"
_FILE_VERSION = re.compile(r"^tinker-(\d+\.\d+\.\d+)[-.]")


def fetch_release_dates(url: str = INDEX_URL, timeout: float = 30.0) -> dict[str, str]:
    """``{version: "YYYY-MM-DD"}`` of every release the index lists (one request)."""
    response = httpx.get(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=timeout)
    response.raise_for_status()
    dates: dict[str, str] = {}
    for item in response.json().get("files", []):
        match = _FILE_VERSION.match(str(item.get("filename", "")))
        uploaded = item.get("upload-time")
        if match and isinstance(uploaded, str):
            day = uploaded[:10]
            dates[match.group(1)] = min(dates.get(match.group(1), day), day)
    return dict(sorted(dates.items(), key=lambda kv: tuple(int(p) for p in kv[0].split("."))))


def release_dates(path: Path = RELEASES_FILE) -> dict[str, str]:
    """The stored release dates ({} when the file is absent)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}
