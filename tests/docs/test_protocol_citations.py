"""Every ``§`` the repository cites resolves in its own docs: ``docs/protocol.md`` (bare, "protocol" or
"protocol reference" citations), ``docs/semantics.md`` ("semantics §") and ``docs/protocol-generations.md``
("versions §"); ``§15.3:<row>/<column>`` names a cell of the status cheat sheet and ``§N item K`` an item of
that section's numbered list. Every ``tinker/…py:LINE`` citation of protocol.md and semantics.md points at
existing lines of the installed SDK."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import tinker

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PROTOCOL, SEMANTICS, GENERATIONS = "protocol.md", "semantics.md", "protocol-generations.md"
SCANNED = {".py", ".yaml", ".yml", ".md", ".html", ".j2", ".exs", ".toml"}
CITATION = re.compile(r"§\s?(\d+(?:\.\d+)*)(?::([0-9a-z-]+)/([a-z_]+))?(?:\s+items?\s+(\d+))?")
# What may stand between two citations of one list ("§4.1, §5 and §9 item 3", "§4-§6").
SEPARATOR = re.compile(r"^[\s,/&–-]*(?:and|or|then)?[\s,/&–-]*$")
PREFIXES = (
    (re.compile(r"semantics(?:\.md)?\W{0,3}$"), SEMANTICS),
    (re.compile(r"versions(?: doc| reference)?\W{0,3}$"), GENERATIONS),
    (re.compile(r"generations(?:\.md)?\W{0,3}$"), GENERATIONS),
    (re.compile(r"(?:protocol|reference)(?:\.md)?\W{0,3}$"), PROTOCOL),
    (re.compile(r"RFC \d+\W{0,3}$"), None),  # another document's sections
)
SDK_CITATION = re.compile(r"(?<![\w.-])(tinker/[\w/]+\.py):(\d+)(?:-(\d+))?((?:,\s?\d+(?:-\d+)?)*)")


@dataclass(frozen=True)
class Citation:
    where: str
    doc: str
    section: str
    row: str | None
    column: str | None
    item: int | None


def _tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    skipped = ("tests/fixtures/", "reports/output/", "reports/benchmarks/", "reports/peers/")
    return [
        ROOT / name
        for name in listed.splitlines()
        if Path(name).suffix in SCANNED and not name.startswith(skipped) and (ROOT / name).is_file()
    ]


def _citations(path: Path) -> list[Citation]:
    own = path.name if path.parent == DOCS and path.name in (SEMANTICS, GENERATIONS) else PROTOCOL
    found = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        previous_end, previous_doc = None, None
        for match in CITATION.finditer(line):
            before = line[: match.start()]
            doc: str | None = own
            for prefix, named in PREFIXES:
                if prefix.search(before):
                    doc = named
                    break
            else:
                if previous_end is not None and SEPARATOR.match(line[previous_end : match.start()]):
                    doc = previous_doc
            previous_end, previous_doc = match.end(), doc
            if doc is not None:
                section, row, column, item = match.groups()
                where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{number}"
                found.append(Citation(where, doc, section, row, column, int(item) if item else None))
    return found


@cache
def _sections(doc: str) -> dict[str, str]:
    """Section number -> its text (up to the next heading of any level)."""
    text = (DOCS / doc).read_text()
    parts = re.split(r"^#{2,4} (\d+(?:\.\d+)*)\.?\s.*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _whole_section(doc: str, section: str) -> str:
    """A section's text with its subsections."""
    sections = _sections(doc)
    return "".join(body for number, body in sections.items() if number == section or number.startswith(section + "."))


@cache
def _cheat_sheet() -> tuple[set[str], set[str]]:
    rows = re.findall(r"^\| `([0-9a-z-]+)`", _sections(PROTOCOL)["15.3"], flags=re.M)
    header = next(line for line in _sections(PROTOCOL)["15.3"].splitlines() if line.startswith("| Case"))
    return set(rows), {cell.strip() for cell in header.strip("|").split("|")[1:]}


def _unresolved(citation: Citation) -> str | None:
    sections = _sections(citation.doc)
    if citation.section not in sections:
        return f"{citation.where}: §{citation.section} is not a section of docs/{citation.doc}"
    if citation.row is not None:
        rows, columns = _cheat_sheet()
        if citation.row not in rows or citation.column not in columns:
            return f"{citation.where}: §15.3:{citation.row}/{citation.column} is not a cell of the cheat sheet"
    if citation.item is not None:
        body = _whole_section(citation.doc, citation.section)
        numbered = re.search(rf"^\s*{citation.item}\. ", body, flags=re.M)
        if not numbered and f"{citation.section}.{citation.item}" not in sections:
            return f"{citation.where}: §{citation.section} of docs/{citation.doc} has no item {citation.item}"
    return None


def test_every_citation_in_the_repository_resolves() -> None:
    citations = [c for path in _tracked_files() for c in _citations(path)]
    assert len(citations) > 1000  # the scan really reads the code, scenarios and docs
    assert {c.doc for c in citations} == {PROTOCOL, SEMANTICS, GENERATIONS}
    problems = [p for c in citations if (p := _unresolved(c))]
    assert problems == [], "\n".join(problems[:40])


def test_the_resolver_catches_what_does_not_resolve(tmp_path: Path) -> None:
    bad = [
        Citation("x:1", PROTOCOL, "99.1", None, None, None),
        Citation("x:2", PROTOCOL, "15.3", "418", "submit", None),
        Citation("x:3", PROTOCOL, "15.3", "429", "websocket", None),
        Citation("x:4", PROTOCOL, "0", None, None, 99),
        Citation("x:5", SEMANTICS, "1.9", None, None, None),
    ]
    assert all(_unresolved(c) for c in bad)
    assert _unresolved(Citation("x:6", PROTOCOL, "15.3", "429", "asample", None)) is None
    assert _unresolved(Citation("x:7", PROTOCOL, "16", None, None, 9)) is None


def test_prefixes_and_lists_choose_the_document(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""(semantics §1.1, §1.2, §9 item 3); protocol reference §6.3; versions doc §4.1 and §7; §15.3"""\n'
    )
    docs = [(c.doc, c.section, c.item) for c in _citations(sample)]
    assert docs == [
        (SEMANTICS, "1.1", None),
        (SEMANTICS, "1.2", None),
        (SEMANTICS, "9", 3),
        (PROTOCOL, "6.3", None),
        (GENERATIONS, "4.1", None),
        (GENERATIONS, "7", None),
        (PROTOCOL, "15.3", None),
    ]


def _sdk_citations(doc: str) -> list[tuple[str, int, int]]:
    found = []
    for match in SDK_CITATION.finditer((DOCS / doc).read_text()):
        path, start, end, more = match.groups()
        spans = [(int(start), int(end or start))]
        for extra in re.findall(r"(\d+)(?:-(\d+))?", more):
            spans.append((int(extra[0]), int(extra[1] or extra[0])))
        found += [(path, a, b) for a, b in spans]
    return found


@pytest.mark.parametrize("doc", [PROTOCOL, SEMANTICS])
def test_sdk_line_citations_point_into_the_installed_sdk(doc: str) -> None:
    assert tinker.__version__ == "0.38.0"
    site = Path(tinker.__file__).resolve().parents[1]
    citations = _sdk_citations(doc)
    if doc == PROTOCOL:
        assert len(citations) >= 100
    problems = []
    for path, start, end in citations:
        file = site / path
        if not file.is_file():
            problems.append(f"{path}: no such file in tinker {tinker.__version__}")
            continue
        length = len(file.read_text().splitlines())
        if not 1 <= start <= end <= length:
            problems.append(f"{path}:{start}-{end}: outside the file's {length} lines")
    assert problems == []


def test_every_numbered_heading_has_the_anchor_reports_link_to() -> None:
    text = (DOCS / PROTOCOL).read_text()
    anchors = set(re.findall(r'<a id="(s[\d.]+)"></a>', text))
    assert {f"s{section}" for section in _sections(PROTOCOL)} == anchors


def test_the_conformance_reports_protocol_links_resolve(tmp_path: Path) -> None:
    from tinker_harness.reports.conformance.protocol_links import anchor, docs_href, html_links, markdown_links
    from tinker_harness.scenarios.catalog import CATALOG_DIR, load_catalog

    out = tmp_path / "reports" / "conformance"
    out.mkdir(parents=True)
    href = docs_href(out)
    assert href is not None and (out / href).resolve() == (DOCS / PROTOCOL).resolve()
    anchors = set(re.findall(r'<a id="(s[\d.]+)"></a>', (DOCS / PROTOCOL).read_text()))
    refs = [ref for scenario in load_catalog(CATALOG_DIR).scenarios for ref in scenario.protocol]
    assert len(refs) > 150
    assert {anchor(ref) for ref in refs} <= anchors
    assert markdown_links(["§15.3:429/asample"], href) == f"[§15.3:429/asample]({href}#s15.3)"
    assert html_links(["§6.3"], None) == "§6.3"
