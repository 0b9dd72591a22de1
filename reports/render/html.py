"""The parity report as one self-contained HTML page (inline CSS and script, no external assets).

The page leads with the fixes to do first, then the summary, then every gap inside its root-cause
group (collapsible; the top groups open). Filters by severity, domain and SDK status hide gaps and
the groups left empty; without JavaScript everything is shown.
"""

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
.st-partial{color:var(--high)}.st-missing{color:var(--crit)}.st-minor{color:var(--ok)}
details>summary{cursor:pointer;font-weight:600}
.filters{position:sticky;top:0;background:var(--bg);border-bottom:1px solid var(--line);padding:8px 0;
z-index:1;font-size:14px}.filters fieldset{display:inline-block;border:1px solid var(--line);
border-radius:4px;margin:2px 6px 2px 0;padding:2px 8px}.filters legend{font-size:12px;color:#555}
.filters label{margin-right:8px;white-space:nowrap}details.group{background:#fff;border:1px solid var(--line);
border-left:5px solid var(--low);border-radius:4px;margin:8px 0;padding:6px 12px}
details.group.s-critical{border-left-color:var(--crit)}details.group.s-high{border-left-color:var(--high)}
details.group.s-medium{border-left-color:var(--med)}details.group>summary .n{color:#555;font-weight:400}
.tag{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 7px;font-size:12px;
color:#444;margin-left:4px}.top li{margin:6px 0}[hidden]{display:none!important}
"""

_SCRIPT = """
(function(){
  var boxes=[].slice.call(document.querySelectorAll('.filters input[type=checkbox]'));
  function wanted(kind){
    return boxes.filter(function(b){return b.name===kind&&b.checked}).map(function(b){return b.value});
  }
  function apply(){
    var sev=wanted('severity'),dom=wanted('domain'),st=wanted('status'),shown=0;
    document.querySelectorAll('article.gap').forEach(function(a){
      var ok=sev.indexOf(a.dataset.severity)>=0&&dom.indexOf(a.dataset.domain)>=0&&st.indexOf(a.dataset.status)>=0;
      a.hidden=!ok;if(ok){shown++}
    });
    document.querySelectorAll('details.group').forEach(function(g){
      g.hidden=!g.querySelector('article.gap:not([hidden])');
    });
    var c=document.getElementById('shown');if(c){c.textContent=shown}
  }
  boxes.forEach(function(b){b.addEventListener('change',apply)});
  document.getElementById('expand').addEventListener('click',function(){
    document.querySelectorAll('details.group:not([hidden])').forEach(function(g){g.open=true})});
  document.getElementById('collapse').addEventListener('click',function(){
    document.querySelectorAll('details.group').forEach(function(g){g.open=false})});
  apply();
})();
"""

_STATUS = {
    "ok": ("✔ yes", "st-ok"),
    "minor": ("✔ yes (minor gaps)", "st-minor"),
    "partial": ("◐ partial", "st-partial"),
    "missing": ("✘ no", "st-missing"),
}
_STATUSES = ("stable", "server-gated", "experimental", "deprecated")


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


def _gap(f: Finding, new: set[str], status: str) -> str:
    badge = ' <span class="new">NEW</span>' if f.id in new else ""
    return (
        f'<article class="gap s-{f.severity.value}" id="{escape(f.id, quote=True)}" '
        f'data-severity="{f.severity.value}" data-domain="{f.domain.value}" data-status="{status}">'
        f'<h4><span class="sev {f.severity.value}">{f.severity.value}</span> '
        f"<code>{escape(f.subject)}</code>{badge}</h4>"
        f"<p>{escape(f.title)}</p><dl>{_evidence('Python', f.python)}{_evidence('Port', f.port)}"
        + (f"<dt>Seen in</dt><dd>{escape(f.scenario_summary())}</dd>" if f.scenarios else "")
        + f"<dt>Fix</dt><dd>{escape(f.fix)}</dd><dt>Id</dt><dd><code>{escape(f.id)}</code></dd></dl></article>"
    )


def _group_id(key: str) -> str:
    return "g-" + "".join(c if c.isalnum() else "-" for c in key)


def _top(report: ParityReport) -> str:
    if not report.top:
        return ""
    by_id = {f.id: f for f in report.findings}
    items = []
    for key in report.top:
        group = report.group(key)
        if group is None:
            continue
        status = f'<span class="tag">{escape(group.status)}</span>' if group.status != "stable" else ""
        worst = by_id.get(group.findings[0])
        items.append(
            f'<li><span class="sev {group.severity.value}">{group.severity.value}</span> '
            f'<a href="#{_group_id(key)}"><b>{escape(group.title)}</b></a>{status} '
            f'<span class="meta">({len(group.findings)} gap{"s" if len(group.findings) != 1 else ""})</span>'
            + (f"<br>{escape(worst.title)}" if worst else "")
            + f"<br><i>Fix:</i> {escape(group.fix)}</li>"
        )
    return '<h2 id="top">Fix these first</h2><ol class="top" id="top-fixes">' + "".join(items) + "</ol>"


def _filters(report: ParityReport) -> str:
    def box(name: str, value: str, label: str) -> str:
        return f'<label><input type="checkbox" name="{name}" value="{value}" checked> {escape(label)}</label>'

    severities = "".join(box("severity", s.value, s.value) for s in Severity)
    domains = "".join(box("domain", d.value, d.label) for d in Domain)
    statuses = "".join(box("status", s, s) for s in _STATUSES)
    return (
        '<div class="filters" id="filters">'
        f"<fieldset><legend>Severity</legend>{severities}</fieldset>"
        f"<fieldset><legend>Domain</legend>{domains}</fieldset>"
        f"<fieldset><legend>SDK status</legend>{statuses}</fieldset>"
        '<button type="button" id="expand">Expand all</button> <button type="button" id="collapse">Collapse all'
        f'</button> <span class="meta"><span id="shown">{len(report.findings)}</span> of '
        f"{len(report.findings)} gaps shown</span></div>"
    )


def _groups(report: ParityReport, new: set[str]) -> list[str]:
    by_id = {f.id: f for f in report.findings}
    top = set(report.top)
    parts = []
    for group in report.groups:
        members = [by_id[i] for i in group.findings if i in by_id]
        kind = "missing" if group.missing else "differs"
        status = f'<span class="tag">{escape(group.status)}</span>' if group.status != "stable" else ""
        domains = "".join(f'<span class="tag">{escape(d.label)}</span>' for d in group.domains)
        parts.append(
            f'<details class="group s-{group.severity.value}" id="{_group_id(group.key)}"'
            + (" open" if group.key in top else "")
            + f'><summary><span class="sev {group.severity.value}">{group.severity.value}</span> '
            f'{escape(group.title)} <span class="n">— {kind}, {len(members)} gap{"s" if len(members) != 1 else ""}'
            f"</span>{status}{domains}</summary>" + "".join(_gap(f, new, group.status) for f in members) + "</details>"
        )
    return parts


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
        f"({facts.port_files} Elixir files) · SDK evidence relative to <code>{escape(facts.sdk_root)}</code> · "
        f"{len(report.findings)} gaps in {len(report.groups)} features</p>",
        _top(report),
        '<h2 id="summary-heading">Summary</h2><table id="summary"><thead><tr><th>Domain</th><th>Compared</th>'
        "<th>Complete</th><th></th><th>Correct</th>"
        + "".join(f"<th>{s.value.title()}</th>" for s in Severity)
        + "</tr></thead><tbody>",
    ]
    for s in report.summary:
        parts.append(
            f'<tr><td>{escape(s.title)}</td><td class="n">{s.items}</td>'
            f'<td class="n">{_pct(s.completeness)}</td><td>{_bar(s.completeness)}</td>'
            f'<td class="n">{_pct(s.correctness)}</td>'
            + "".join(f'<td class="n">{s.counts[v.value]}</td>' for v in Severity)
            + "</tr>"
        )
    parts.append(
        '</tbody></table><p class="meta">Complete = share of compared SDK items the port has; correct = share it '
        "has with no gap of severity medium or worse.</p>"
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
            "<details><summary>New gaps</summary><ul>"
            + (
                "".join(
                    f'<li><span class="sev {by_id[i].severity.value}">{by_id[i].severity.value}</span> '
                    f'<a href="#{escape(i, quote=True)}"><code>{escape(i)}</code></a></li>'
                    for i in ratchet.new
                )
                or "<li>none</li>"
            )
            + "</ul></details>"
        )
        parts.append(
            "<details><summary>Closed gaps</summary><ul>"
            + (
                "".join(
                    f"<li>✔ <code>{escape(i)}</code> — {escape(ratchet.closed_titles.get(i, ''))}</li>"
                    for i in ratchet.closed
                )
                or "<li>none</li>"
            )
            + "</ul></details>"
        )
    if facts.parse_problems:
        parts.append(
            "<h2>Port files that did not parse</h2><ul>"
            + "".join(f"<li><code>{escape(p)}</code></li>" for p in facts.parse_problems)
            + "</ul>"
        )
    if report.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>")

    parts.append('<h2 id="gaps">Gaps by feature</h2>')
    parts.append(_filters(report))
    parts += _groups(report, new) or ["<p>No gaps.</p>"]

    parts.append(
        f'<h2 id="matrix">Feature matrix</h2><details><summary>Every SDK item compared</summary><table><thead><tr>'
        f"<th>Feature</th><th>tinker {escape(facts.sdk_version)} (Python)</th><th>{escape(facts.port_name)}</th>"
        "</tr></thead>"
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
        '</table></details><h2 id="rules">Severity rules</h2><table><thead><tr><th>Severity</th><th>Meaning</th>'
        "<th>Applies to</th></tr></thead><tbody>"
    )
    parts += [
        f'<tr><td><span class="sev {s}">{s}</span></td><td>{escape(n)}</td><td>{escape(r)}</td></tr>'
        for s, n, r in report.severity_rules
    ]
    parts.append(f"</tbody></table></main><script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"
