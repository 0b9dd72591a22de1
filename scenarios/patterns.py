"""Scenario-id patterns, shared by ``--scenarios`` and the known-failing lists.

Ids are ``/``-separated (``futures/poll/429-backs-off``). In a pattern ``*`` matches within one
segment, ``**`` across segments, ``?`` one character of a segment; a pattern without ``/`` and
without ``**`` also matches any id *below* it (``futures`` selects every ``futures/...`` scenario).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

__all__ = ["compile_pattern", "matches", "select_ids"]


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    if not pattern or pattern.strip() != pattern:
        raise ValueError(f"pattern {pattern!r} is empty or has surrounding spaces")
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    if "*" not in pattern and "?" not in pattern:
        body += "(?:/.*)?"  # a plain prefix selects its whole subtree
    return re.compile(f"^{body}$")


def matches(pattern: str, scenario_id: str) -> bool:
    return compile_pattern(pattern).match(scenario_id) is not None


def select_ids(ids: Iterable[str], patterns: Iterable[str]) -> list[str]:
    """The ids matching any of ``patterns`` (all ids when there are none), in their original order."""
    wanted = list(patterns)
    return [i for i in ids if not wanted or any(matches(p, i) for p in wanted)]
