"""Every SDK version's known-failing list cites the SDK behaviour behind each entry, in that wheel.

Each entry of ``scenarios/known_failing/python-sdk-<version>.yaml`` is pinned to its version and
names at least one ``tinker/...py:N``; the line must exist and hold code in the wheel of that
version (``pip download``, cached), so a list cannot drift from the SDK it describes. The lists
themselves are produced and checked by ``nox -s conformance_versions`` (the ratchet fails when a
listed scenario passes or an unlisted one fails).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinker_harness.contracts.surface.profile import BREAK_POINTS
from tinker_harness.contracts.surface.wheels import unpacked_wheel
from tinker_harness.scenarios.catalog import CATALOG_DIR, load_catalog
from tinker_harness.scenarios.known_failing import load_known_failing

DIRECTORY = Path(__file__).resolve().parents[2] / "scenarios" / "known_failing"
FILES = sorted(DIRECTORY.glob("python-sdk-*.yaml"))
CITATION = re.compile(r"(tinker/[\w/]+\.py):(\d+)")


def test_every_listed_version_is_a_break_point_and_the_directory_loads() -> None:
    versions = [f.stem.removeprefix("python-sdk-") for f in FILES]
    assert versions and set(versions) <= set(BREAK_POINTS)
    known = load_known_failing(DIRECTORY)
    ids = {s.id for s in load_catalog(CATALOG_DIR).scenarios}
    assert {e.id for e in known.entries} <= ids


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_entry_cites_real_lines_of_its_own_wheel(path: Path) -> None:
    version = path.stem.removeprefix("python-sdk-")
    root = unpacked_wheel(version)
    for entry in load_known_failing(path).entries:
        assert entry.adapter == f"python-sdk@{version}", entry.id
        citations = CITATION.findall(entry.reason)
        assert citations, f"{entry.id}: the reason names no tinker/...py:N"
        for file, line in citations:
            lines = (root / file).read_text(encoding="utf-8").splitlines()
            assert 1 <= int(line) <= len(lines), f"{entry.id}: {file}:{line} is past the end of {version}'s file"
            assert lines[int(line) - 1].strip(), f"{entry.id}: {file}:{line} is a blank line in {version}"
