"""The shipped adapters against the whole catalogue: the reference client passes everything it can
express; the official SDK 0.38.0 passes every scenario it declares capable of (or is listed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conformance_support import KNOWN_FAILING_SDK, REFERENCE, SDK_038, explain, outcomes

from tinker_harness.scenarios.catalog import load_catalog
from tinker_harness.scenarios.known_failing import load_known_failing

CATALOG = load_catalog()
IDS = CATALOG.ids
Runner = Callable[[str, list[str], Path | None], dict[str, Any]]


def _requires_missing(report: dict[str, Any], scenario_id: str) -> bool:
    capabilities = set(report["adapters"][0]["capabilities"])
    wanted = {r for r in CATALOG.get(scenario_id).requires if not r.startswith("sdk")}
    return not wanted <= capabilities


@pytest.mark.parametrize("scenario_id", IDS)
def test_reference_client_passes(shared_run: Runner, scenario_id: str) -> None:
    report = shared_run("reference", REFERENCE, None)
    outcome = outcomes(report)[scenario_id]
    if outcome == "unsupported":
        assert _requires_missing(report, scenario_id), explain(report, scenario_id)
        return
    assert outcome == "pass", explain(report, scenario_id)


@pytest.mark.sdk
@pytest.mark.parametrize("scenario_id", IDS)
def test_official_sdk_0_38_passes_what_it_can(shared_run: Runner, scenario_id: str) -> None:
    report = shared_run("sdk-0.38.0", SDK_038, KNOWN_FAILING_SDK)
    assert report["adapters"][0]["version"] == "0.38.0"
    outcome = outcomes(report)[scenario_id]
    if outcome == "unsupported":
        assert _requires_missing(report, scenario_id), explain(report, scenario_id)
        return
    listed = load_known_failing(KNOWN_FAILING_SDK).reason(scenario_id, "python-sdk", "0.38.0")
    assert outcome == ("known-fail" if listed else "pass"), explain(report, scenario_id)


def test_the_sdk_declares_its_capabilities(shared_run: Runner) -> None:
    report = shared_run("sdk-0.38.0", SDK_038, KNOWN_FAILING_SDK)
    capabilities = set(report["adapters"][0]["capabilities"])
    assert {"training", "sampling", "session_finish", "heartbeat:stop-on-410", "create_via_load"} <= capabilities
    supported = [o for o in outcomes(report).values() if o != "unsupported"]
    assert len(supported) >= 60
