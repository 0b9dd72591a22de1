"""The conformance report of ``tinker-harness conform`` (docs/conformance.md): model, builder and renderers.

:func:`write_reports` writes ``conformance.md``, ``conformance.html``, ``conformance.json`` and
``conformance.junit.xml`` into one directory and returns their paths.
"""

from __future__ import annotations

from pathlib import Path

from tinker_harness.reports.conformance.html import render_html
from tinker_harness.reports.conformance.junit import render_junit
from tinker_harness.reports.conformance.markdown import render_markdown
from tinker_harness.reports.conformance.model import ConformanceReport
from tinker_harness.reports.conformance.protocol_links import docs_href

__all__ = ["ConformanceReport", "render_html", "render_json", "render_junit", "render_markdown", "write_reports"]


def render_json(report: ConformanceReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def write_reports(report: ConformanceReport, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    href = docs_href(directory)
    written = []
    texts = {
        "conformance.md": render_markdown(report, href),
        "conformance.html": render_html(report, href),
        "conformance.json": render_json(report),
        "conformance.junit.xml": render_junit(report),
    }
    for name, text in texts.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
