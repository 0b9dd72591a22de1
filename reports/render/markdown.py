"""The parity report as Markdown: the fixes to do first, the summary, the ratchet, gaps grouped by
root cause (worst first), the feature matrix and the severity rules."""

from __future__ import annotations

from tinker_harness.reports.findings import Domain, Finding, Severity
from tinker_harness.reports.report import ParityReport

__all__ = ["MARK", "STATUS_MARK", "render_markdown"]

MARK = {Severity.CRITICAL: "🟥", Severity.HIGH: "🟧", Severity.MEDIUM: "🟨", Severity.LOW: "⬜"}
STATUS_MARK = {"ok": "✅ yes", "minor": "✅ yes (minor gaps)", "partial": "⚠️ partial", "missing": "❌ no"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _gap(f: Finding, new: set[str]) -> list[str]:
    badge = " **NEW**" if f.id in new else ""
    lines = [f"- {MARK[f.severity]} **{f.severity.value}** · `{f.subject}` — {f.title}{badge}"]
    if f.python is not None:
        lines.append(f"  - Python: `{f.python}`" + (f" — `{_cell(f.python.text)}`" if f.python.text else ""))
    if f.port is not None:
        lines.append(f"  - Port: `{f.port}`" + (f" — `{_cell(f.port.text)}`" if f.port.text else ""))
    if f.scenarios:
        lines.append(f"  - Seen in {f.scenario_summary()}")
    lines.append(f"  - Fix: {f.fix}")
    lines.append(f"  - Id: `{f.id}`")
    return lines


def _top(report: ParityReport, by_id: dict[str, Finding]) -> list[str]:
    if not report.top:
        return []
    out = ["## Fix these first", ""]
    for n, key in enumerate(report.top, 1):
        group = report.group(key)
        if group is None:
            continue
        status = f", {group.status}" if group.status != "stable" else ""
        count = f"{len(group.findings)} gap{'s' if len(group.findings) != 1 else ''}"
        worst = _cell(by_id[group.findings[0]].title)
        out.append(f"{n}. {MARK[group.severity]} **{group.title}** ({group.severity.value}{status}, {count}) — {worst}")
        out.append(f"   - Fix: {_cell(group.fix)}")
    return out + [""]


def render_markdown(report: ParityReport) -> str:
    facts = report.facts
    out = [
        f"# Parity report: {facts.port_name} vs tinker {facts.sdk_version} (Python)",
        "",
        f"Generated {facts.generated_at} in {facts.seconds:.2f} s. Port checkout `{facts.port_root}` "
        f"({facts.port_files} Elixir files); SDK evidence is relative to `{facts.sdk_root}`"
        + (f"; overrides `{facts.overrides}`" if facts.overrides else "")
        + (f"; journals `{facts.journals}`" if facts.journals else "")
        + ".",
        "",
    ]
    by_id = {f.id: f for f in report.findings}
    out += _top(report, by_id)
    out += [
        "## Summary",
        "",
        "| Domain | Compared | Complete | Correct | Critical | High | Medium | Low |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report.summary:
        counts = [str(s.counts[v.value]) for v in Severity]
        out.append(
            f"| {s.title} | {s.items} | {_pct(s.completeness)} | {_pct(s.correctness)} | " + " | ".join(counts) + " |"
        )
    totals = [str(sum(s.counts[v.value] for s in report.summary)) for v in Severity]
    items = sum(s.items for s in report.summary)
    present = sum(s.present for s in report.summary)
    ok = sum(s.ok for s in report.summary)
    out.append(
        f"| **Total** | {items} | {_pct(100.0 * present / items if items else None)} | "
        f"{_pct(100.0 * ok / items if items else None)} | " + " | ".join(totals) + " |"
    )
    out += [
        "",
        f"{len(report.findings)} gaps in {len(report.groups)} features. Complete = share of compared SDK items "
        "the port has; correct = share it has with no gap of severity medium or worse.",
        "",
    ]

    ratchet = report.ratchet
    out += ["## Changes since the known-gaps baseline", ""]
    if ratchet.baseline is None:
        out.append(f"No baseline yet: all {len(ratchet.new)} gaps are new. Record one with `--update-known-gaps`.")
    else:
        out.append(
            f"Baseline `{ratchet.baseline}`: {len(ratchet.new)} new, {len(ratchet.closed)} closed, "
            f"{ratchet.known} still open."
        )
        by_id = {f.id: f for f in report.findings}
        out += ["", f"**New gaps ({len(ratchet.new)})**", ""]
        out += [f"- {MARK[by_id[i].severity]} `{i}` — {by_id[i].title}" for i in ratchet.new] or ["- none"]
        out += ["", f"**Closed gaps ({len(ratchet.closed)})**", ""]
        out += [f"- ✅ `{i}` — {ratchet.closed_titles.get(i, '')}" for i in ratchet.closed] or ["- none"]
    out.append("")

    if facts.parse_problems:
        out += ["## Port files that did not parse", ""] + [f"- `{p}`" for p in facts.parse_problems] + [""]
    if report.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in report.notes] + [""]

    new = set(ratchet.new)
    out += ["## Gaps by feature", ""]
    for group in report.groups:
        members = [by_id[i] for i in group.findings if i in by_id]
        status = f", {group.status}" if group.status != "stable" else ""
        kind = "missing" if group.missing else "differs"
        out += [
            f"### {MARK[group.severity]} {group.title} — {group.severity.value}, {kind}{status} ({len(members)})",
            "",
        ]
        for f in members:
            out += _gap(f, new)
        out.append("")

    out += [
        "## Feature matrix",
        "",
        f"| Feature | tinker {facts.sdk_version} (Python) | {facts.port_name} |",
        "|---|---|---|",
    ]
    for domain in Domain:
        rows = [i for i in report.items if i.domain is domain]
        if rows:
            out.append(f"| **{domain.label}** | | |")
            out += [f"| `{_cell(i.subject)}` | ✅ yes | {STATUS_MARK.get(i.status, i.status)} |" for i in rows]
    out += ["", "## Severity rules", "", "| Severity | Meaning | Applies to |", "|---|---|---|"]
    out += [f"| {MARK[Severity(s)]} {s} | {name} | {_cell(rule)} |" for s, name, rule in report.severity_rules]
    return "\n".join(out) + "\n"
