"""Benchmark: a full static parity report of the official SDK against a ~200-file Elixir port.

    python benchmarks/parity_static.py [--files 200] [--repeat 3]

Generates, in a temporary directory, an Elixir port tree that implements the whole tinker 0.38.0
surface manifest (client modules, one struct per type, API modules with every endpoint, config with
every environment variable and constant, a CLI) plus filler modules up to ``--files`` files, then
times ``run_parity`` (manifest load, tree-sitter extraction, comparison, Markdown/HTML/JSON) and
prints the figures. Target: under 20 s. The generated port is complete, so the report should list
no gaps; any it lists are printed as a sanity check of the extractor and comparer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import Result  # noqa: E402
from tinker_harness.contracts.surface import SurfaceManifest, load  # noqa: E402
from tinker_harness.reports.elixir import extract_port  # noqa: E402
from tinker_harness.reports.mapping.names import snake  # noqa: E402
from tinker_harness.reports.parity import run_parity  # noqa: E402
from tinker_harness.reports.static.constants import ALIASES  # noqa: E402

APP = "Tinkex"
_RESERVED = {
    "fn",
    "do",
    "end",
    "when",
    "and",
    "or",
    "not",
    "in",
    "nil",
    "true",
    "false",
    "catch",
    "rescue",
    "after",
    "else",
}


def var(name: str) -> str:
    return f"{name}_" if name in _RESERVED else name


def ex(value: Any) -> str:
    """An Elixir literal for a JSON value."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        mantissa, _, exponent = repr(value).partition("e")
        mantissa = mantissa if "." in mantissa else f"{mantissa}.0"
        return f"{mantissa}e{exponent}" if exponent else mantissa
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(ex(v) for v in value) + "]"
    if isinstance(value, dict):
        if all(re.fullmatch(r"[a-z_][a-zA-Z0-9_]*", k) for k in value):
            return "%{" + ", ".join(f"{k}: {ex(v)}" for k, v in value.items()) + "}"
        return "%{" + ", ".join(f"{json.dumps(k)} => {ex(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def client_module(client: Any) -> str:
    lines = [f"defmodule {APP}.{client.name} do", f'  @moduledoc "Generated {client.name}."', ""]
    for method in client.methods:
        if method.kind == "constructor" or method.async_variant_of:
            continue
        receiver = [] if method.kind == "staticmethod" else ["client"]
        required = [var(p.name) for p in method.required_params if p.kind != "keyword_only"]
        params = receiver + required + (["opts \\\\ []"] if method.optional_params else [])
        lines.append(f"  @spec {method.name}({', '.join('term()' for _ in params)}) :: {{:ok, Task.t()}}")
        lines.append(f"  def {method.name}({', '.join(params)}) do")
        for p in method.optional_params:
            if p.has_default and (p.default is not None or p.default_repr == "None"):
                lines.append(f"    _{p.name} = Keyword.get(opts, :{p.name}, {ex(p.default)})")
        lines += ["    {:ok, Task.async(fn -> :ok end)}", "  end", ""]
    return "\n".join(lines + ["end", ""])


def type_module(typedef: Any) -> str:
    lines = [f"defmodule {APP}.Types.{typedef.name} do", f'  @moduledoc "Generated {typedef.name}."']
    if typedef.kind == "enum":
        lines.append("  @type t :: " + " | ".join(f":{v}" for v in typedef.enum_values))
        return "\n".join(lines + ["end", ""])
    bare = [f":{f.wire_name}" for f in typedef.fields if f.required or f.default is None]
    kw = [f"{f.wire_name}: {ex(f.default)}" for f in typedef.fields if not f.required and f.default is not None]
    lines.append("  defstruct [" + ", ".join(bare + kw) + "]")
    lines.append("  @type t :: %__MODULE__{}")
    return "\n".join(lines + ["end", ""])


def api_modules(manifest: SurfaceManifest) -> dict[str, str]:
    groups: dict[str, list[str]] = {}
    for i, endpoint in enumerate(manifest.endpoints):
        if endpoint.http_method == "?":
            continue
        segment = endpoint.path.removeprefix("/api/v1/").split("/")[0]
        path = re.sub(r"\{([^{}]*)\}", r"#{id}", endpoint.path)
        verb = endpoint.http_method.lower()
        groups.setdefault(segment, []).append(
            f'  def call_{i}(client, id), do: {APP}.HTTP.{verb}(client, "{path}", id)\n'
        )
    return {
        f"api/{seg}.ex": f"defmodule {APP}.API.{''.join(w.title() for w in seg.split('_'))} do\n"
        + "".join(defs)
        + "end\n"
        for seg, defs in groups.items()
    }


def constants_modules(manifest: SurfaceManifest) -> dict[str, str]:
    bodies: dict[str, list[str]] = {"Config": [], "RetryConfig": [], "Future": [], "Telemetry": []}
    for constant in manifest.constants:
        hint, names = ALIASES[constant.key]
        module = {"Retry": "RetryConfig", "Future": "Future", "Telemetry": "Telemetry"}.get(hint or "", "Config")
        name = names[0]
        value: float = constant.value
        if constant.unit == "s":
            name, value = f"{name}_ms", value * 1000
        literal = str(int(value)) if float(value).is_integer() else repr(value)
        bodies[module].append(f"  @{name} {literal}\n")
    env = "".join(f'  def env_{i}, do: System.get_env("{v.name}")\n' for i, v in enumerate(manifest.env_vars))
    bodies["Config"].append(env)
    return {f"{snake(m)}.ex": f"defmodule {APP}.{m} do\n" + "".join(b) + "end\n" for m, b in bodies.items()}


def cli_module(manifest: SurfaceManifest) -> str:
    clauses = []
    for command in manifest.cli:
        if command.is_group or not command.path:
            continue
        words = ", ".join(json.dumps(w) for w in command.path.split())
        switches = ", ".join(f"{max(o.flags, key=len).lstrip('-').replace('-', '_')}: :string" for o in command.options)
        clauses.append(
            f"  def run([{words} | rest]) do\n    {{opts, _, _}} = OptionParser.parse(rest, strict: [{switches}])\n"
            "    opts\n  end\n"
        )
    return f"defmodule {APP}.CLI do\n" + "\n".join(clauses) + "end\n"


def filler(i: int) -> str:
    return (
        f"defmodule {APP}.Internal.Helper{i} do\n  @moduledoc false\n  @chunk_{i} {i * 7}\n\n"
        + "".join(
            f'  @doc "Helper {j}: joins #{{x}} with a path."\n'
            f"  @spec helper_{i}_{j}(term(), integer()) :: term()\n"
            f"  def helper_{i}_{j}(x, y \\\\ {j}) do\n    opts = [timeout: @chunk_{i}, retries: {j}]\n"
            f'    {{x, y, Keyword.get(opts, :timeout, 1), "/internal/#{{x}}/{j}"}}\n  end\n\n'
            for j in range(40)
        )
        + f"  defp private_{i}(x) when is_map(x), do: Map.get(x, :key_{i}, nil)\nend\n"
    )


def generate_port(root: Path, manifest: SurfaceManifest, files: int) -> int:
    lib = root / "lib" / "tinkex"
    sources: dict[str, str] = {}
    for client in manifest.clients:
        sources[f"{snake(client.name)}.ex"] = client_module(client)
    for typedef in manifest.types:
        sources[f"types/{snake(typedef.name)}.ex"] = type_module(typedef)
    sources.update(api_modules(manifest))
    sources.update(constants_modules(manifest))
    sources["cli.ex"] = cli_module(manifest)
    i = 0
    while len(sources) < files:
        sources[f"internal/helper_{i}.ex"] = filler(i)
        i += 1
    for rel, text in sources.items():
        path = lib / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / ".tinker-parity.toml").write_text(f'app = "{APP}"\n', encoding="utf-8")
    return len(sources)


def _measure(files: int, repeat: int, *, verbose: bool) -> tuple[list[float], int]:
    """Timings of the full static report on a generated port tree; and the tree's file count."""
    manifest = load("0.38.0")
    with tempfile.TemporaryDirectory() as tmp:
        port = Path(tmp) / "port"
        count = generate_port(port, manifest, files)
        lines = sum(len(p.read_text().splitlines()) for p in port.rglob("*.ex"))
        started = time.perf_counter()
        surface = extract_port(port)
        extract_s = time.perf_counter() - started
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            run = run_parity("0.38.0", port, output=Path(tmp) / "out")
            timings.append(time.perf_counter() - started)
        if verbose:
            report = run.report
            print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
            print(f"port: {count} files, {lines} lines, {len(surface.modules)} modules, {len(surface.paths)} API paths")
            print(f"extraction alone: {extract_s:.2f} s")
            print(
                f"full static report x{repeat}: min {min(timings):.2f} s, "
                f"median {statistics.median(timings):.2f} s, "
                f"max {max(timings):.2f} s (target < 20 s)"
            )
            print(
                f"SDK items compared: {sum(s.items for s in report.summary)}; gaps: {report.total_gaps}; "
                f"unparsed files: {len(surface.problems)}"
            )
            for problem in surface.problems:
                print(f"  {problem}")
            for finding in report.findings[:20]:
                print(f"  {finding.severity.value} {finding.id}: {finding.title}")
        return timings, count


def run(quick: bool = False) -> list[Result]:
    """For ``python -m benchmarks``: the median of 3 full static reports (1 when quick) against a 200-file port."""
    timings, count = _measure(200, 1 if quick else 3, verbose=False)
    return [
        Result(
            f"parity: full static report, SDK 0.38.0 vs a {count}-file Elixir port",
            statistics.median(timings),
            "s",
            "< 20 s",
            f"median of {len(timings)}, max {max(timings):.2f} s",
            "Parity report",
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    timings, _ = _measure(options.files, options.repeat, verbose=True)
    return 0 if max(timings) < 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
