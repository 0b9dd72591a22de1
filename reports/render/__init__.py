"""Renderers of a :class:`reports.report.ParityReport`: Markdown, self-contained HTML, JSON."""

from __future__ import annotations

from tinker_harness.reports.report import ParityReport

from .html import render_html
from .markdown import render_markdown

__all__ = ["render_html", "render_json", "render_markdown"]


def render_json(report: ParityReport) -> str:
    return report.model_dump_json(indent=2) + "\n"
