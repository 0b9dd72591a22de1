"""python -m benchmarks [--quick] [name ...]: run benchmarks, print a Markdown table, write the report.

The report goes to ``reports/benchmarks/latest.{json,md}`` (and ``benchmarks/output/results.json``).
``--quick`` shrinks every budget so the whole suite smoke-runs in a few minutes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from benchmarks.measure import Result, Unavailable, markdown
from benchmarks.report import as_json, write_report

ALL = (
    "bench_startup",
    "bench_plugin_import",
    "bench_http",
    "bench_inprocess",
    "bench_futures",
    "bench_scale",
    "bench_soak",
    "bench_sdk_flow",
    "parity_static",
    "bench_conformance",
    "bench_certify",
    "bench_test_suite",
    "bench_sdk_matrix",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"python -m benchmarks: error: {message}\n")


def main(argv: list[str]) -> int:
    parser = _Parser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="name", help=f"benchmarks to run (default: all of {list(ALL)})")
    parser.add_argument("--quick", action="store_true", help="shrink every budget: a smoke run of a few minutes")
    options = parser.parse_args(argv)
    unknown = [n for n in options.names if n not in ALL]
    if unknown:
        print(f"python -m benchmarks: unknown benchmark(s) {unknown}; choose from {list(ALL)}", file=sys.stderr)
        return 2
    results: list[Result] = []
    for name in options.names or ALL:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            results += importlib.import_module(f"benchmarks.{name}").run(quick=options.quick)
        except Unavailable as missing:
            print(f"  {name} skipped: {missing}", file=sys.stderr)
            results.append(Result(name, float("nan"), "", "", f"not run: {missing}"))
    out = Path("benchmarks/output")
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps([as_json(r) for r in results], indent=2))
    report = write_report(results, quick=options.quick)
    print(markdown(results))
    print(f"\nreport: {report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
