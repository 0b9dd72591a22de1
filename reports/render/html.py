"""The parity report as one self-contained HTML page (inline CSS, no scripts, no external assets)."""

from __future__ import annotations

from html import escape

from tinker_harness.reports.findings import Domain, Finding, Severity
from tinker_harness.reports.report import ParityReport

__all__ = ["render_html"]

_CSS = """
:root{--crit:#b3261e;--high:#e8710a;--med:#c9a000;--low:#6b7280;--ok:#1e8e3e;
--bg:#fafafa;--line:#e0e0e0}*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;
margin:0;background:var(--bg);color:#1f1f1f}main{max-width:1100px;margin:0 auto;
padding:24px}h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;
border-bottom:2px solid var(--line);padding-bottom:4px}h3{font-size:17px;
margin:20px 0 8px}.meta{color:#555;font-size:13px}code{font:13px ui-monospace,Menlo,Consolas,monospace;
background:#f0f0f0;padding:1px 4px;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{border:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{height:8px;background:#eee;border-radius:4px;overflow:hidden;min-width:80px}
.bar span{display:block;height:100%;background:var(--ok)}.sev{display:inline-block;
color:#fff;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
text-transform:uppercase}.critical{background:var(--crit)}.high{background:var(--high)}
.medium{background:var(--med)}.low{background:var(--low)}.gap{background:#fff;
border:1px solid var(--line);border-left:5px solid var(--low);border-radius:4px;
padding:10px 14px;margin:8px 0}.gap.s-critical{border-left-color:var(--crit)}
.gap.s-high{border-left-color:var(--high)}.gap.s-medium{border-left-color:var(--med)}
.gap h4{margin:0 0 6px;font-size:15px}.gap dl{display:grid;grid-template-columns:70px 1fr;
gap:2px 10px;margin:0;font-size:14px}.gap dt{color:#555}.gap dd{margin:0}
.new{color:var(--crit);font-weight:700;font-size:12px}.st-ok{color:var(--ok)}
.st-partial{color:var(--high)}.st-missing{color:var(--crit)}details>summary{cursor:pointer;
font-weight:600}
"""

_STATUS = {"ok": ("✔ yes", "st-ok"), "partial": ("◐ partial", "st-partial"), "missing": ("✘ no", "st-missing")}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _bar(value: float | None) -> str:
    width = 0.0 if value is None else value
    return f'<div class="bar" title="{_pct(value)}"><span style="width:{width:.1f}%"></span></div>'


def _evidence(label: str, ev: object) -> str:
    if ev is None:
        return ""
    text = getattr(ev, "text", "")
    extra = f" — <code>{escape(text)}</code>" if text else ""
    return f"<dt>{label}</dt><dd><code>{escape(str(ev))}</code>{extra}</dd>"


def _gap(f: Finding, new: set[str]) -> str:
    badge = ' <span class="new">NEW</span>' if f.id in new else ""
    return (
        f'<article class="gap s-{f.severity.value}" id="{escape(f.id, quote=True)}">'
        f'<h4><span class="sev {f.severity.value}">{f.severity.value}</span> '
        f"<code>{escape(f.subject)}</code>{badge}</h4>"
        f"<p>{escape(f.title)}</p><dl>{_evidence('Python', f.python)}{_evidence('Port', f.port)}"
        + (f"<dt>Seen in</dt><dd>{escape(f.scenario_summary())}</dd>" if f.scenarios else "")
        + f"<dt>Fix</dt><dd>{escape(f.fix)}</dd><dt>Id</dt><dd><code>{escape(f.id)}</code></dd></dl></article>"
    )


def render_html(report: ParityReport) -> str:
    facts = report.facts
    title = f"Parity report: {facts.port_name} vs tinker {facts.sdk_version} (Python)"
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Generated {escape(facts.generated_at)} in {facts.seconds:.2f} s · '
        f"port <code>{escape(facts.port_root)}</code> "
        f"({facts.port_files} Elixir files) · SDK evidence relative to <code>{escape(facts.sdk_root)}</code></p>",
        '<h2 id="summary-heading">Summary</h2><table id="summary"><thead><tr><th>Domain</th><th>Compared</th>'
        "<th>Complete</th><th></th>"
        + "".join(f"<th>{s.value.title()}</th>" for s in Severity)
        + "</tr></thead><tbody>",
    ]
    for s in report.summary:
        parts.append(
            f'<tr><td><a href="#d-{s.domain.value}">{escape(s.title)}</a></td><td class="n">{s.items}</td>'
            f'<td class="n">{_pct(s.completeness)}</td><td>{_bar(s.completeness)}</td>'
            + "".join(f'<td class="n">{s.counts[v.value]}</td>' for v in Severity)
            + "</tr>"
        )
    parts.append(
        '</tbody></table><p class="meta">Complete = share of compared SDK items with no gap of severity '
        "medium or worse.</p>"
    )

    ratchet, new = report.ratchet, set(report.ratchet.new)
    parts.append('<h2 id="ratchet">Changes since the known-gaps baseline</h2>')
    if ratchet.baseline is None:
        parts.append(
            f"<p>No baseline yet: all {len(ratchet.new)} gaps are new. "
            "Record one with <code>--update-known-gaps</code>.</p>"
        )
    else:
        by_id = {f.id: f for f in report.findings}
        parts.append(
            f"<p>Baseline <code>{escape(ratchet.baseline)}</code>: <b>{len(ratchet.new)} new</b>, "
            f"<b>{len(ratchet.closed)} closed</b>, {ratchet.known} still open.</p>"
        )
        parts.append(
            "<h3>New gaps</h3><ul>"
            + (
                "".join(
                    f'<li><span class="sev {by_id[i].severity.value}">{by_id[i].severity.value}</span> '
                    f'<a href="#{escape(i, quote=True)}">'
                    f"<code>{escape(i)}</code></a></li>"
                    for i in ratchet.new
                )
                or "<li>none</li>"
            )
            + "</ul>"
        )
        parts.append(
            "<h3>Closed gaps</h3><ul>"
            + (
                "".join(
                    f"<li>✔ <code>{escape(i)}</code> — {escape(ratchet.closed_titles.get(i, ''))}</li>"
                    for i in ratchet.closed
                )
                or "<li>none</li>"
            )
            + "</ul>"
        )
    if facts.parse_problems:
        parts.append(
            "<h2>Port files that did not parse</h2><ul>"
            + "".join(f"<li><code>{escape(p)}</code></li>" for p in facts.parse_problems)
            + "</ul>"
        )
    if report.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>")

    parts.append('<h2 id="gaps">Gaps</h2>')
    for domain in Domain:
        gaps = report.by_domain(domain)
        parts.append(f'<section id="d-{domain.value}"><h3>{escape(domain.label)} ({len(gaps)})</h3>')
        parts.append("".join(_gap(f, new) for f in gaps) or "<p>No gaps.</p>")
        parts.append("</section>")

    parts.append(
        f'<h2 id="matrix">Feature matrix</h2><table><thead><tr><th>Feature</th><th>tinker {escape(facts.sdk_version)} '
        f"(Python)</th><th>{escape(facts.port_name)}</th></tr></thead>"
    )
    for domain in Domain:
        rows = [i for i in report.items if i.domain is domain]
        if not rows:
            continue
        parts.append(f'<tbody><tr><th colspan="3">{escape(domain.label)}</th></tr>')
        for item in rows:
            label, css = _STATUS.get(item.status, (item.status, ""))
            parts.append(
                f'<tr><td><code>{escape(item.subject)}</code></td><td class="st-ok">✔ yes</td>'
                f'<td class="{css}">{label}</td></tr>'
            )
        parts.append("</tbody>")
    parts.append(
        '</table><h2 id="rules">Severity rules</h2><table><thead><tr><th>Severity</th><th>Meaning</th>'
        "<th>Applies to</th></tr></thead><tbody>"
    )
    parts += [
        f'<tr><td><span class="sev {s}">{s}</span></td><td>{escape(n)}</td><td>{escape(r)}</td></tr>'
        for s, n, r in report.severity_rules
    ]
    parts.append("</tbody></table></main></body></html>")
    return "\n".join(parts) + "\n"
