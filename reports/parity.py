"""Run a parity comparison end to end and write the report files.

``run_parity`` loads (or generates) the SDK manifest, extracts the port, compares both statically,
optionally diffs behaviour journals, applies the known-gaps ratchet and renders Markdown, HTML and
JSON under the output directory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tinker_harness.contracts.surface.driver import ManifestError, generate, load_file, manifest_path
from tinker_harness.contracts.surface.model import SurfaceManifest
from tinker_harness.scenarios.sdk_envs import SdkEnvError, interpreter_for

from .elixir import extract_port
from .grouping import group_findings
from .mapping.names import detect_app
from .mapping.overrides import DEFAULT_FILE, Overrides, load_overrides
from .ratchet import apply_ratchet, load_known_gaps, write_known_gaps
from .render import render_html, render_json, render_markdown
from .report import ParityReport, RunFacts, build_report
from .static import compare_static

__all__ = ["DEFAULT_OUTPUT", "ParityRun", "run_parity"]

DEFAULT_OUTPUT = Path("reports/output")


@dataclass(frozen=True)
class ParityRun:
    report: ParityReport
    markdown: Path
    html: Path
    json: Path


def _sdk_root(version: str) -> str:
    """Where the evidence's ``tinker/...`` files live (without importing the SDK)."""
    from importlib import metadata, util

    try:
        installed = metadata.version("tinker")
    except metadata.PackageNotFoundError:
        installed = None
    spec = util.find_spec("tinker") if installed == version else None
    if spec is not None and spec.origin:
        return str(Path(spec.origin).resolve().parent.parent)
    from tinker_harness.scenarios.sdk_envs import sdk_python

    return f"site-packages of {sdk_python(version).parent.parent}"


def load_or_generate(version: str, python: Path | str | None = None) -> SurfaceManifest:
    """The stored manifest of ``version`` if there is one (and no interpreter is named), else a fresh one."""
    path = manifest_path(version)
    if python is None and path.exists():
        return load_file(path)
    try:
        interpreter = interpreter_for(version, python)
    except SdkEnvError as exc:
        raise ManifestError(f"no interpreter with tinker=={version}: {exc}") from exc
    return generate(version, interpreter)


def run_parity(
    sdk_version: str,
    port: Path,
    *,
    output: Path = DEFAULT_OUTPUT,
    journals: Path | None = None,
    overrides_path: Path | None = None,
    known_gaps: Path | None = None,
    update_known_gaps: bool = False,
    python: Path | None = None,
    manifest: SurfaceManifest | None = None,
) -> ParityRun:
    started = time.perf_counter()
    manifest = manifest or load_or_generate(sdk_version, python)
    if overrides_path is None and (port / DEFAULT_FILE).is_file():
        overrides_path = port / DEFAULT_FILE
    overrides: Overrides = load_overrides(overrides_path)
    surface = extract_port(port)
    findings, items = compare_static(manifest, surface, overrides)
    notes = [f"SDK manifest note: {n}" for n in manifest.notes]
    if journals is not None:
        from .behaviour import compare_journal_dirs

        wire_findings, wire_items, wire_notes = compare_journal_dirs(journals, overrides)
        findings += wire_findings
        items += wire_items
        notes += wire_notes
    known_path = known_gaps or output / "known-gaps.json"
    ratchet = apply_ratchet(findings, load_known_gaps(known_path), known_path)
    facts = RunFacts(
        sdk_version=manifest.sdk.version,
        sdk_root=_sdk_root(manifest.sdk.version),
        port_name=overrides.app or detect_app(surface) or port.name,
        port_root=str(port),
        port_files=surface.files,
        parse_problems=[str(p) for p in surface.problems],
        overrides=str(overrides_path) if overrides_path else None,
        journals=str(journals) if journals else None,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        seconds=round(time.perf_counter() - started, 3),
    )
    report = build_report(facts, findings, items, ratchet, notes, group_findings(manifest, findings))
    output.mkdir(parents=True, exist_ok=True)
    stem = f"parity-tinker-{manifest.sdk.version}"
    paths = ParityRun(report, output / f"{stem}.md", output / f"{stem}.html", output / f"{stem}.json")
    paths.markdown.write_text(render_markdown(report), encoding="utf-8")
    paths.html.write_text(render_html(report), encoding="utf-8")
    paths.json.write_text(render_json(report), encoding="utf-8")
    if update_known_gaps:
        write_known_gaps(known_path, manifest.sdk.version, report.findings)
    return paths
