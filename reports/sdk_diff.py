"""The wire changelog between two SDK versions as Markdown, self-contained HTML and JSON.

Breaking changes come first, for servers and then for ports (the two questions are defined in
:mod:`contracts.surface.wire_diff`), then every change by category, each with ``file:line`` in
both wheels. ``tinker-harness sdk-diff A B`` writes all three.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from html import escape
from typing import Any

from tinker_harness.contracts.surface.wire_diff import CATEGORIES, Change, WireDiff

__all__ = ["diff_json", "render_diff_html", "render_diff_json", "render_diff_markdown"]

AUDIENCES = (
    ("servers", "a server that serves A must change to serve B"),
    ("ports", "a port that speaks A fails against a server that serves only B"),
)


def _where(change: Change) -> str:
    return f"{change.at_a or '–'} → {change.at_b or '–'}"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def diff_json(diff: WireDiff) -> dict[str, Any]:
    return {
        "a": diff.a,
        "b": diff.b,
        "endpoint_paths": {"a": diff.endpoint_counts[0], "b": diff.endpoint_counts[1]},
        "breaking": {"servers": len(diff.breaking_for("servers")), "ports": len(diff.breaking_for("ports"))},
        "changes": [asdict(c) for c in diff.changes],
    }


def render_diff_json(diff: WireDiff) -> str:
    return json.dumps(diff_json(diff), indent=2, ensure_ascii=False) + "\n"


def _mark(impact: str) -> str:
    return "**breaking**" if impact == "breaking" else "non-breaking"


def render_diff_markdown(diff: WireDiff) -> str:
    out = [
        f"# Wire changelog: tinker {diff.a} → {diff.b}",
        "",
        f"Derived from the two wheels. Endpoint paths: {diff.endpoint_counts[0]} → {diff.endpoint_counts[1]}; "
        f"{len(diff.changes)} changes, {len(diff.breaking_for('servers'))} breaking for servers, "
        f"{len(diff.breaking_for('ports'))} breaking for ports.",
        "",
    ]
    for audience, question in AUDIENCES:
        found = diff.breaking_for(audience)  # type: ignore[arg-type]
        out += [f"## Breaking for {audience}", "", f"_Breaking when {question}._", ""]
        if not found:
            out += ["None.", ""]
            continue
        out += [f"- **{c.category} {c.action}** `{c.subject}`: {c.summary} (`{_where(c)}`)" for c in found]
        out.append("")
    out += ["## Every change", ""]
    for category in CATEGORIES:
        rows = [c for c in diff.changes if c.category == category]
        if not rows:
            continue
        out += [
            f"### {category} ({len(rows)})",
            "",
            "| Change | Subject | Detail | Servers | Ports | A | B |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in rows:
            out.append(
                f"| {c.action} | `{_cell(c.subject)}` | {_cell(c.summary)} | {_mark(c.servers)} | {_mark(c.ports)} "
                f"| `{c.at_a or '–'}` | `{c.at_b or '–'}` |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#fafafa;color:#1f1f1f}
main{max-width:1200px;margin:0 auto;padding:24px}h1{font-size:26px}h2{font-size:20px;margin:28px 0 8px;
border-bottom:2px solid #e0e0e0}code{font:13px ui-monospace,Menlo,Consolas,monospace;background:#f0f0f0;
padding:1px 4px;border-radius:3px;word-break:break-all}table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #e0e0e0;padding:5px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.b{color:#fff;background:#b3261e;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600}
.n{color:#555;font-size:12px}.meta{color:#555}
"""


def _badge(impact: str) -> str:
    return '<span class="b">breaking</span>' if impact == "breaking" else '<span class="n">non-breaking</span>'


def render_diff_html(diff: WireDiff) -> str:
    title = f"Wire changelog: tinker {diff.a} → {diff.b}"
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_CSS}</style></head><body><main>',
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Derived from the two wheels. Endpoint paths: {diff.endpoint_counts[0]} → '
        f"{diff.endpoint_counts[1]}; {len(diff.changes)} changes.</p>",
    ]
    for audience, question in AUDIENCES:
        found = diff.breaking_for(audience)  # type: ignore[arg-type]
        parts.append(f"<h2>Breaking for {audience} ({len(found)})</h2><p class='meta'>Breaking when {question}.</p>")
        items = "".join(
            f"<li><b>{escape(c.category)} {c.action}</b> <code>{escape(c.subject)}</code>: {escape(c.summary)} "
            f"<code>{escape(_where(c))}</code></li>"
            for c in found
        )
        parts.append(f"<ul>{items}</ul>" if found else "<p>None.</p>")
    parts.append("<h2>Every change</h2>")
    for category in CATEGORIES:
        rows = [c for c in diff.changes if c.category == category]
        if not rows:
            continue
        body = "".join(
            f"<tr><td>{c.action}</td><td><code>{escape(c.subject)}</code></td><td>{escape(c.summary)}</td>"
            f"<td>{_badge(c.servers)}</td><td>{_badge(c.ports)}</td><td><code>{escape(c.at_a or '–')}</code></td>"
            f"<td><code>{escape(c.at_b or '–')}</code></td></tr>"
            for c in rows
        )
        parts.append(
            f"<h3>{escape(category)} ({len(rows)})</h3><table><tr><th>Change</th><th>Subject</th><th>Detail</th>"
            f"<th>Servers</th><th>Ports</th><th>A</th><th>B</th></tr>{body}</table>"
        )
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"
