"""The conformance report as Markdown: verdict, adapter × scenario matrix, then every failure."""

from __future__ import annotations

from tinker_harness.reports.conformance.model import OUTCOMES, ConformanceReport, ResultRow
from tinker_harness.reports.conformance.protocol_links import markdown_links
from tinker_harness.reports.render.markdown import _cell

__all__ = ["MARKS", "render_markdown"]

MARKS = {"pass": "✅ pass", "fail": "❌ fail", "error": "💥 error", "known-fail": "🟨 known-fail",
         "fixed": "🎉 fixed (listed)", "skip": "⏭ skip", "unsupported": "➖ unsupported"}  # fmt: skip


def _failure(report: ConformanceReport, label: str, row: ResultRow, href: str | None) -> list[str]:
    info = report.scenario(row.id)
    lines = [f"### {row.id} — {label}", "", f"*{info.purpose}*  ", f"Protocol: {markdown_links(info.protocol, href)} · "
             f"scenario `{info.source}`", ""]  # fmt: skip
    if row.known_failing:
        lines += [f"Known failing: {row.known_failing}", ""]
    for failure in row.failures:
        lines += [f"**{failure.title}**", "", "Expected:", "", "```", failure.expected, "```", "", "Observed:", "",
                  "```", *failure.observed, "```", ""]  # fmt: skip
        lines += [f"- {p}" for p in failure.problems] + ([""] if failure.problems else [])
    if row.journal:
        lines += ["<details><summary>journal</summary>", "", "```", *row.journal, "```", "", "</details>", ""]
    return lines


def render_markdown(report: ConformanceReport, protocol_href: str | None = None) -> str:
    """``protocol_href``: docs/protocol.md relative to where the report is written (links to its sections)."""
    verdict = "PASS" if report.ok else "FAIL"
    lines = [f"# Conformance report — {verdict}", "", f"Generated {report.generated_at.isoformat()}; "
             f"{len(report.scenarios)} scenarios.", "", "| Adapter | " + " | ".join(OUTCOMES) + " | new | fixed | s |",
             "|---" * (len(OUTCOMES) + 4) + "|"]  # fmt: skip
    for a in report.adapters:
        counts = " | ".join(str(a.count(o)) for o in OUTCOMES)
        lines.append(f"| {a.label} | {counts} | {len(a.ratchet.new)} | {len(a.ratchet.closed)} | {a.seconds:.1f} |")
    lines += ["", "## Matrix", "", "| Scenario | Protocol | " + " | ".join(a.label for a in report.adapters) + " |",
              "|---|---|" + "---|" * len(report.adapters)]  # fmt: skip
    for index, info in enumerate(report.scenarios):
        cells = [MARKS[a.results[index].outcome] for a in report.adapters]
        lines.append(
            f"| `{info.id}` | {_cell(markdown_links(info.protocol, protocol_href))} | " + " | ".join(cells) + " |"
        )
    lines += ["", "## Failures", ""]
    shown = 0
    for a in report.adapters:
        for row in a.results:
            if row.outcome in ("fail", "error", "known-fail"):
                lines += _failure(report, a.label, row, protocol_href)
                shown += 1
            elif row.outcome == "fixed":
                lines += [f"### {row.id} — {a.label}", "", f"Listed as known-failing ({row.known_failing}) but "
                          "it passes now: take it off the list.", ""]  # fmt: skip
                shown += 1
    if not shown:
        lines.append("None.")
    return "\n".join(lines).rstrip() + "\n"
