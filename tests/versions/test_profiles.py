"""The stored wire profiles are what the wheels say (``pip download tinker==X``, introspected).

The default run checks the versions of ``TINKER_HARNESS_SDK_VERSIONS`` (0.15.0 and 0.38.0); the
nox matrix checks every break point. A stale profile names the command that regenerates it.
"""

from __future__ import annotations

import os

import pytest

from tinker_harness.contracts.surface.profile import load_profile, profile_path, render_profile

VERSIONS = os.environ.get("TINKER_HARNESS_SDK_VERSIONS", "0.15.0,0.38.0").split(",")


@pytest.mark.parametrize("version", VERSIONS)
def test_the_stored_profile_is_what_the_wheel_says(version: str) -> None:
    from_wheel = load_profile(version, from_wheel=True)
    assert from_wheel.version == version and from_wheel.endpoints
    stored = profile_path(version).read_text(encoding="utf-8")
    assert render_profile(from_wheel) == stored, "run: tinker-harness sdk-generations --write --profiles"
