"""Links from a scenario's protocol citations (``§6.3``, ``§15.3:429/asample``) to docs/protocol.md.

docs/protocol.md carries an anchor ``s<section>`` before every numbered heading. The links are relative to the
report's directory and exist only where the repository's docs do (a source checkout); an installed copy
renders the citations as plain text.
"""

from __future__ import annotations

import os
import re
from html import escape
from pathlib import Path

__all__ = ["PROTOCOL_DOC", "anchor", "docs_href", "html_links", "markdown_links"]

PROTOCOL_DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
_SECTION = re.compile(r"^§(\d+(?:\.\d+)*)")


def anchor(ref: str) -> str | None:
    """``§15.3:429/asample`` -> ``s15.3``; None for a citation that names no section."""
    match = _SECTION.match(ref)
    return f"s{match.group(1)}" if match else None


def docs_href(directory: Path) -> str | None:
    """The protocol document relative to ``directory``, or None when the docs are not there."""
    if not PROTOCOL_DOC.is_file():
        return None
    return Path(os.path.relpath(PROTOCOL_DOC, directory.resolve())).as_posix()


def markdown_links(refs: list[str], href: str | None) -> str:
    return ", ".join(f"[{ref}]({href}#{a})" if href and (a := anchor(ref)) else ref for ref in refs)


def html_links(refs: list[str], href: str | None) -> str:
    return ", ".join(
        f'<a href="{escape(href)}#{a}">{escape(ref)}</a>' if href and (a := anchor(ref)) else escape(ref)
        for ref in refs
    )
