"""The conformance report as one self-contained HTML page (the parity report's stylesheet)."""

from __future__ import annotations

from html import escape

from tinker_harness.reports.conformance.model import OUTCOMES, ConformanceReport, ResultRow
from tinker_harness.reports.conformance.protocol_links import html_links
from tinker_harness.reports.render.html import _CSS

__all__ = ["render_html"]

_EXTRA = """.o-pass{color:var(--ok)}.o-fail,.o-error,.o-fixed{color:var(--crit);font-weight:700}
.o-known-fail{color:var(--high)}.o-skip,.o-unsupported{color:var(--low)}pre{background:#f6f6f6;padding:8px;
overflow-x:auto;font-size:12px}"""


def _failure(label: str, row: ResultRow, purpose: str, protocol: str) -> str:
    parts = [f'<div class="gap s-high"><h4>{escape(row.id)} — {escape(label)} '
             f'<span class="o-{row.outcome}">{row.outcome}</span></h4>',
             f"<p>{escape(purpose)}<br>Protocol: {protocol}</p>"]  # fmt: skip
    if row.known_failing:
        parts.append(f"<p>Known failing: {escape(row.known_failing)}</p>")
    for f in row.failures:
        problems = "".join(f"<li>{escape(p)}</li>" for p in f.problems)
        parts.append(f"<h5>{escape(f.title)}</h5><p>Expected</p><pre>{escape(f.expected)}</pre>"
                     f"<p>Observed</p><pre>{escape(chr(10).join(f.observed))}</pre><ul>{problems}</ul>")  # fmt: skip
    if row.journal:
        parts.append(f"<details><summary>journal</summary><pre>{escape(chr(10).join(row.journal))}</pre></details>")
    return "".join(parts) + "</div>"


def render_html(report: ConformanceReport, protocol_href: str | None = None) -> str:
    """``protocol_href``: docs/protocol.md relative to where the report is written (links to its sections)."""
    verdict = "PASS" if report.ok else "FAIL"
    head = "".join(f"<th>{o}</th>" for o in OUTCOMES)
    summary = "".join(
        f"<tr><td>{escape(a.label)}</td>" + "".join(f'<td class="n">{a.count(o)}</td>' for o in OUTCOMES)
        + f'<td class="n">{a.seconds:.1f}</td></tr>' for a in report.adapters
    )  # fmt: skip
    matrix = "".join(
        f"<tr><td><code>{escape(s.id)}</code></td><td>{html_links(s.protocol, protocol_href)}</td>"
        + "".join(f'<td class="o-{a.results[i].outcome}">{a.results[i].outcome}</td>' for a in report.adapters)
        + "</tr>" for i, s in enumerate(report.scenarios)
    )  # fmt: skip
    failures = "".join(
        _failure(a.label, row, (info := report.scenario(row.id)).purpose, html_links(info.protocol, protocol_href))
        for a in report.adapters for row in a.results if row.outcome in ("fail", "error", "known-fail", "fixed")
    ) or "<p>None.</p>"  # fmt: skip
    columns = "".join(f"<th>{escape(a.label)}</th>" for a in report.adapters)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Conformance report — {verdict}</title>'
        f"<style>{_CSS}{_EXTRA}</style></head><body><main><h1>Conformance report — {verdict}</h1>"
        f'<p class="meta">Generated {report.generated_at.isoformat()}; {len(report.scenarios)} scenarios.</p>'
        f"<h2>Summary</h2><table><tr><th>Adapter</th>{head}<th>s</th></tr>{summary}</table>"
        f"<h2>Matrix</h2><table><tr><th>Scenario</th><th>Protocol</th>{columns}</tr>{matrix}</table>"
        f"<h2>Failures</h2>{failures}</main></body></html>\n"
    )
