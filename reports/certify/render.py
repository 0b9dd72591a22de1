"""The certify report as Markdown, one self-contained HTML page and JUnit XML (JSON: ``report.dumps``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

from tinker_harness.reports.certify.model import CertifyReport, FailureRow
from tinker_harness.reports.render.html import _CSS

__all__ = ["render_html", "render_junit", "render_markdown", "write_certify_reports"]

MARK = {"pass": "✅", "fail": "❌", "n/a": "—", "blocked": "⛔", "skipped": "⏭", "sdk-known": "SDK", "not-run": "·"}


def _verdict(report: CertifyReport) -> str:
    return "PASS" if report.ok else "FAIL"


def _score(report: CertifyReport, version: str) -> str:
    passed, judged = report.score(version)
    return f"{passed}/{judged} ({100 * passed / judged:.0f} %)" if judged else "0/0"


def _failure_lines(f: FailureRow) -> list[str]:
    lines = [f"### tinker {f.version} · {f.feature} · {f.source}", "", f"**{f.title}**", ""]
    lines.append(f"- Expected ({', '.join(f.protocol) or 'docs/protocol.md'}): {f.expected}")
    lines += [f"- Observed: {o}" for o in f.observed[:6]]
    if f.request:
        lines.append(f"- First failing request: `{f.request}`")
    if f.answer:
        lines.append(f"- Answer: `{f.answer}`")
    lines += [f"- Contract: {v}" for v in f.violations[:6]]
    if f.sdk_where:
        lines.append(f"- In the SDK: {' → '.join(f'`{w}`' for w in f.sdk_where[-3:])}")
    return [*lines, ""]


def render_markdown(report: CertifyReport) -> str:
    versions = report.versions
    lines = [f"# Certify report — {_verdict(report)}", "",
             f"Server `{report.base_url}`, base model `{report.base_model}`; generated {report.generated_at}; "
             f"{report.scenarios} portable scenarios per version; {report.seconds:.0f} s.", "",
             "| Feature | " + " | ".join(f"tinker {v}" for v in versions) + " |",
             "|---|" + "---|" * len(versions)]  # fmt: skip
    for feature in report.features:
        row = report.matrix[feature.id]
        cells = [f"{MARK[row[v].status]} {row[v].passed}/{row[v].total}" if row[v].total else MARK[row[v].status]
                 for v in versions]  # fmt: skip
        lines.append(f"| {feature.title} | " + " | ".join(cells) + " |")
    lines.append("| **Score** | " + " | ".join(_score(report, v) for v in versions) + " |")
    lines += ["", "## Server-side checks", "", "| Check | Result | Protocol | Summary |", "|---|---|---|---|"]
    lines += [f"| {c.title} | {c.status} | {', '.join(c.protocol)} | {c.summary} |" for c in report.checks]
    if report.problems:
        lines += ["", "## Generations that could not run", ""]
        lines += [f"- tinker {v}: {p}" for v, p in report.problems.items()]
    lines += ["", "## Failures", ""]
    for failure in report.failures:
        lines += _failure_lines(failure)
    for check in report.checks:
        if check.status == "fail":
            lines += [f"### Server check: {check.title}", "", f"- Expected ({', '.join(check.protocol)}): "
                      f"{check.expected}", *[f"- {e}" for e in check.evidence[:8]], ""]  # fmt: skip
    if not report.failures and not any(c.status == "fail" for c in report.checks):
        lines += ["None.", ""]
    if report.sdk_known:
        lines += ["## Not judged: the SDK version fails these against our own mock too", ""]
        lines += [f"- tinker {v} `{sid}`: {why}" for v, known in report.sdk_known.items() for sid, why in known.items()]
        lines.append("")
    lines += ["## Not run against this server", "",
              f"{len(report.excluded)} catalogue scenarios need more of a server than its public API "
              "(a fault plan, its clock, its configuration, an empty server):", ""]  # fmt: skip
    lines += [f"- `{sid}`: {why}" for sid, why in sorted(report.excluded.items())]
    return "\n".join(lines) + "\n"


def render_html(report: CertifyReport) -> str:
    versions = report.versions
    head = "".join(f"<th>tinker {escape(v)}</th>" for v in versions)
    rows = "".join(
        f"<tr><td>{escape(f.title)}</td><td>{escape(', '.join(f.protocol))}</td>"
        + "".join(f'<td class="o-{escape(report.matrix[f.id][v].status.replace("/", ""))}">'
                  f"{escape(report.matrix[f.id][v].status)} {report.matrix[f.id][v].passed}/"
                  f"{report.matrix[f.id][v].total}</td>" for v in versions) + "</tr>"
        for f in report.features
    )  # fmt: skip
    score = "".join(f"<td>{escape(_score(report, v))}</td>" for v in versions)
    checks = "".join(
        f'<tr><td>{escape(c.title)}</td><td class="o-{escape(c.status)}">{escape(c.status)}</td>'
        f"<td>{escape(', '.join(c.protocol))}</td><td>{escape(c.summary)}</td></tr>" for c in report.checks
    )  # fmt: skip
    failures = "".join(
        f'<div class="gap s-high"><h4>tinker {escape(f.version)} · {escape(f.feature)} · {escape(f.source)}</h4>'
        f"<p><b>{escape(f.title)}</b></p><p>Expected ({escape(', '.join(f.protocol))}): {escape(f.expected)}</p>"
        f"<pre>{escape(chr(10).join(f.observed[:6]))}</pre>"
        + (f"<p>First failing request: <code>{escape(f.request)}</code></p>" if f.request else "")
        + (f"<pre>{escape(f.answer)}</pre>" if f.answer else "")
        + "".join(f"<p>Contract: {escape(v)}</p>" for v in f.violations[:6])
        + (f"<p>In the SDK: <code>{escape(' → '.join(f.sdk_where[-3:]))}</code></p>" if f.sdk_where else "")
        + "</div>"
        for f in report.failures
    ) or "<p>None.</p>"  # fmt: skip
    extra = ".o-pass{color:var(--ok)}.o-fail,.o-blocked,.o-not-run{color:var(--crit);font-weight:700}pre{" \
            "background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}"  # fmt: skip
    title = f"Certify report — {_verdict(report)}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_CSS}{extra}</style></head><body><main><h1>{title}</h1>"
        f'<p class="meta">Server {escape(report.base_url)}, base model {escape(report.base_model)}; generated '
        f"{escape(report.generated_at)}; {report.scenarios} portable scenarios per version.</p>"
        f"<h2>Matrix</h2><table><tr><th>Feature</th><th>Protocol</th>{head}</tr>{rows}"
        f"<tr><td><b>Score</b></td><td></td>{score}</tr></table>"
        f"<h2>Server-side checks</h2><table><tr><th>Check</th><th>Result</th><th>Protocol</th><th>Summary</th></tr>"
        f"{checks}</table><h2>Failures</h2>{failures}</main></body></html>\n"
    )


def render_junit(report: CertifyReport) -> str:
    root = ET.Element("testsuites", name="tinker-harness certify")
    for version in report.versions:
        cases = [(f, report.matrix[f.id][version]) for f in report.features]
        failed = sum(c.status in ("fail", "blocked", "not-run") for _, c in cases)
        suite = ET.SubElement(root, "testsuite", name=f"tinker {version}", tests=str(len(cases)), failures=str(failed))
        for feature, cell in cases:
            case = ET.SubElement(suite, "testcase", name=feature.id, classname=f"certify.tinker_{version}")
            if cell.status in ("fail", "blocked", "not-run"):
                found = [f for f in report.failures if f.version == version and f.feature == feature.id]
                text = "\n\n".join("\n".join(_failure_lines(f)) for f in found) or report.problems.get(version, "")
                ET.SubElement(
                    case, "failure", message=f"{cell.status}: {feature.expected}", type=cell.status
                ).text = text
            elif cell.status in ("n/a", "skipped", "sdk-known"):
                ET.SubElement(case, "skipped", message=cell.status)
    suite = ET.SubElement(root, "testsuite", name="server checks", tests=str(len(report.checks)))
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", name=check.id, classname="certify.server")
        if check.status == "fail":
            ET.SubElement(case, "failure", message=check.summary).text = "\n".join(check.evidence)
        elif check.status == "not-observed":
            ET.SubElement(case, "skipped", message=check.summary)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_certify_reports(report: CertifyReport, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("certify.md", render_markdown(report)), ("certify.html", render_html(report)),
                       ("certify.json", report.dumps()), ("certify.junit.xml", render_junit(report))):  # fmt: skip
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
