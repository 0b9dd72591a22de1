"""The conformance report as JUnit XML: one testsuite per adapter, one testcase per scenario.

``fail``/``error``/``fixed`` are failures (they fail the run); ``known-fail``, ``skip`` and
``unsupported`` are ``<skipped>`` with the reason, so CI dashboards show them without going red.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tinker_harness.reports.conformance.model import ConformanceReport, ResultRow

__all__ = ["render_junit"]


def _case(suite: ET.Element, classname: str, row: ResultRow, protocol: str) -> None:
    case = ET.SubElement(suite, "testcase", name=row.id, classname=classname, time=f"{row.seconds:.3f}")
    if row.outcome in ("fail", "error"):
        text = "\n\n".join(
            f"{f.title}\nexpected:\n{f.expected}\nobserved:\n" + "\n".join(f.observed) for f in row.failures
        )
        first = row.failures[0].title if row.failures else row.status
        tag = "failure" if row.outcome == "fail" else "error"
        ET.SubElement(case, tag, message=f"{first} [{protocol}]", type=row.outcome).text = text
    elif row.outcome == "fixed":
        ET.SubElement(case, "failure", message=f"listed as known-failing but passes: {row.known_failing}", type="fixed")
    elif row.outcome in ("known-fail", "skip", "unsupported"):
        ET.SubElement(case, "skipped", message=f"{row.outcome}: {row.known_failing or row.reason or ''}")
    if row.stderr and row.outcome in ("fail", "error"):
        ET.SubElement(case, "system-err").text = row.stderr


def render_junit(report: ConformanceReport) -> str:
    root = ET.Element("testsuites", name="tinker-harness conform")
    for adapter in report.adapters:
        rows = adapter.results
        suite = ET.SubElement(
            root, "testsuite", name=adapter.label, tests=str(len(rows)),
            failures=str(sum(r.outcome in ("fail", "fixed") for r in rows)),
            errors=str(sum(r.outcome == "error" for r in rows)),
            skipped=str(sum(r.outcome in ("known-fail", "skip", "unsupported") for r in rows)),
            time=f"{adapter.seconds:.2f}",
        )  # fmt: skip
        for row in rows:
            _case(suite, f"conform.{adapter.name}", row, ", ".join(report.scenario(row.id).protocol))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
