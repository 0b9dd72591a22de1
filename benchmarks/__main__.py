"""python -m benchmarks [name ...]: run benchmarks and print a Markdown table (also saved as JSON)."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import asdict
from pathlib import Path

from benchmarks.measure import markdown

ALL = ("bench_startup", "bench_sdk_flow", "bench_futures", "parity_static", "bench_conformance")


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in ALL]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(ALL)}", file=sys.stderr)
        return 2
    results = []
    for name in names or ALL:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results += importlib.import_module(f"benchmarks.{name}").run()
    out = Path("benchmarks/output")
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
