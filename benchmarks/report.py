"""The benchmark report: ``reports/benchmarks/latest.json`` and ``latest.md`` (date, machine, tables, how to rerun).

A ``skyrl-tx.json`` beside them (a list of result dicts from the skyrl-tx peer benchmark) becomes
its own section of the Markdown report; the soak's ``soak-rss.png`` is linked when the run made it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from benchmarks.measure import Result, machine, markdown, table, today

REPORT_DIR = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
SOAK_PLOT = "soak-rss.png"
PEER_FILE = "skyrl-tx.json"

NOTES = """\
## Notes

- Every server runs in its own process on loopback; the load generator (wrk, or the async httpx
  drivers of the futures and scale benchmarks) runs in another process on the same machine. On a
  2-core machine the client competes with the server for CPU, so throughput figures are a floor.
- Prism is `@stoplight/prism-cli` 5 run with `node` against the OpenAPI document this project
  generates (`tinker-harness openapi`), log level `warn`; the mock is `tinker-harness serve`
  (log level `warning`). Both get the same requests; any answer outside 2xx/3xx is an error.
- The mock keeps all state in one process, so it cannot be spread over several workers: each
  worker would be a different mock. Other ASGI servers are measured single-process.
- A quick run (`--quick`) shrinks every budget (3 s load runs, 50 sessions, a 20,000-request soak,
  a test-suite subset); its figures are for smoke-testing the benchmarks, not for the README.

## How to rerun

    apt-get install wrk nodejs npm          # load generator; Node.js for Prism
    pip install -e '.[test,bench]'
    python -m benchmarks                    # everything (~15 min); or: nox -s benchmarks
    python -m benchmarks bench_http         # only some benchmarks
    python -m benchmarks --quick            # smoke run in a few minutes

Prism is installed with npm into `benchmarks/.cache/prism` on first use.
"""


def as_json(result: Result) -> dict[str, Any]:
    """A result as a JSON object; a value that could not be measured (NaN) is ``null``."""
    row = asdict(result)
    if math.isnan(result.value):
        row["value"] = None
    return row


def load_results(path: Path) -> list[Result]:
    """Result dicts from a JSON list (or a report object with ``results``); unknown keys are ignored."""
    raw: Any = json.loads(path.read_text(encoding="utf-8"))
    rows = raw["results"] if isinstance(raw, dict) else raw
    names = {f.name for f in fields(Result)}
    results = []
    for row in rows:
        known = {k: v for k, v in row.items() if k in names}
        if known.get("value") is None:
            known["value"] = float("nan")
        results.append(Result(**known))
    return results


def render(results: Sequence[Result], *, quick: bool, report_dir: Path = REPORT_DIR) -> str:
    lines = ["# Benchmarks", "", f"Mode: {'quick (smoke run, shrunken budgets)' if quick else 'full'}.", ""]
    lines.append(markdown(results))
    if (report_dir / SOAK_PLOT).exists() and any(r.section.startswith("Soak") for r in results):
        lines += ["", f"![Server resident memory during the soak]({SOAK_PLOT})"]
    peer = report_dir / PEER_FILE
    if peer.exists():
        lines += ["", "### skyrl-tx as a second peer", "", f"From `{PEER_FILE}`.", ""]
        lines += table(load_results(peer))
    lines += ["", NOTES]
    return "\n".join(lines)


def write_report(results: Sequence[Result], *, quick: bool, report_dir: Path = REPORT_DIR) -> Path:
    """Write ``latest.json`` and ``latest.md``; returns the Markdown path."""
    report_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "measured": today(),
        "machine": machine(),
        "mode": "quick" if quick else "full",
        "results": [as_json(r) for r in results],
    }
    (report_dir / "latest.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    path = report_dir / "latest.md"
    path.write_text(render(results, quick=quick, report_dir=report_dir), encoding="utf-8")
    return path
