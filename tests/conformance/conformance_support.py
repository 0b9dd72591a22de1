"""Helpers of the conformance tests: adapter commands and a catalogue run returning the JSON report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tinker_harness.reports.conformance import render_json
from tinker_harness.reports.conformance.build import build_report
from tinker_harness.scenarios.catalog import load_catalog
from tinker_harness.scenarios.conform import probe, run_adapter
from tinker_harness.scenarios.known_failing import load_known_failing

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = [sys.executable, "-m", "tinker_harness.scenarios.adapters.reference_client"]
SDK_038 = [sys.executable, str(ROOT / "scenarios" / "adapters" / "python_sdk.py")]
KNOWN_FAILING_SDK = ROOT / "scenarios" / "known_failing" / "python-sdk.yaml"


def run_catalogue(
    command: list[str], out: Path, patterns: list[str] | None = None, known: Path | None = None
) -> dict[str, Any]:
    """Run (selected) catalogue scenarios against ``command``; the JSON report as a dict."""
    catalog = load_catalog()
    selected = catalog.select(patterns or [])
    hello = probe(command)
    run = run_adapter(selected, command, hello, jobs=2, work_dir=out / "work")
    report = build_report(selected, catalog, [run], load_known_failing(known))
    data: dict[str, Any] = json.loads(render_json(report))
    return data


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {row["id"]: row["outcome"] for row in report["adapters"][0]["results"]}


def explain(report: dict[str, Any], scenario_id: str) -> str:
    row = next(r for r in report["adapters"][0]["results"] if r["id"] == scenario_id)
    return json.dumps({k: row[k] for k in ("outcome", "reason", "failures", "journal", "stderr")}, indent=1)[:4000]
