"""Near-miss diagnoses for requests the replay cannot answer.

Like WireMock's and vcrpy's near misses: the answer names the closest recorded requests, where
they are in the cassette (``file:line``), which parts matched (method, path, query, body) and the
exact differences (``$.body.sampling_params.max_tokens: recorded 6, received 7``). Every message
starts with ``REPLAY:``.
"""

from __future__ import annotations

from typing import Any

from tinker_harness.mock_server.recording.matcher import Outcome, Recorded, ReplayMatcher, unify
from tinker_harness.mock_server.recording.normalise import RequestKey

__all__ = ["diagnose"]

MAX_CLOSEST = 3
_BODY_PREVIEW = 600


def _preview(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= _BODY_PREVIEW else text[:_BODY_PREVIEW] + "…"


def _candidate(
    matcher: ReplayMatcher, entry: Recorded, live: RequestKey
) -> tuple[tuple[int, bool, int], dict[str, Any]]:
    matched, failed = [], []
    if entry.key.method == live.method:
        matched.append("method")
    else:
        failed.append("method")
    same_route = (entry.key.endpoint or entry.key.path) == (live.endpoint or live.path)
    differences: list[str] = []
    if same_route:
        trial, failed_parts = unify(matcher.bindings, entry.key, live)
        differences = trial.differences
        matched += [p for p in ("path", "query", "body") if p not in failed_parts]
        failed += failed_parts
    else:
        failed.append("path")
        differences = [f"$.path: recorded {entry.key.path!r}, received {live.path!r}"]
    interaction = entry.interaction
    view = {
        "interaction": interaction.tinker.seq,
        "where": interaction.where(matcher.cassette.source),
        "request": entry.key.describe(),
        "already_served": entry.played > 0,
        "matched": matched,
        "failed": failed,
        "differences": differences,
        "recorded_body": _preview(entry.key.body),
    }
    score = (len(matched), entry.played == 0, -len(differences))  # unserved before served
    return score, view


def diagnose(matcher: ReplayMatcher, live: RequestKey, outcome: Outcome) -> tuple[int, dict[str, Any]]:
    """Status and JSON body for an unanswerable request: 404 when nothing matches, 409 when exhausted."""
    source = matcher.cassette.source
    request = {"method": live.method, "path": live.path, "query": dict(live.query), "body": _preview(live.body)}
    if outcome.kind == "exhausted":
        served = outcome.matches or []
        where = ", ".join(e.interaction.where(source) for e in served[:MAX_CLOSEST])
        detail = (
            f"REPLAY: {live.describe()} matches {len(served)} recorded interaction(s) ({where}), "
            "all already served; the client sent this request more often than the recording did"
        )
        return 409, {
            "detail": detail,
            "code": "replay-exhausted",
            "method": live.method,
            "path": live.path,
            "cassette": source,
            "request": request,
            "closest": [_candidate(matcher, e, live)[1] for e in served[:MAX_CLOSEST]],
        }
    ranked = sorted((_candidate(matcher, e, live) for e in matcher.entries), key=lambda pair: pair[0], reverse=True)
    closest = [view for _, view in ranked[:MAX_CLOSEST] if view["matched"]]
    if closest:
        best = closest[0]
        first = best["differences"][0] if best["differences"] else ""
        hint = f"; closest: {best['where']} ({', '.join(best['failed'])} differ: {first})"
    else:
        hint = "; the cassette has nothing similar"
    return 404, {
        "detail": f"REPLAY: no recorded interaction matches {live.describe()}{hint}",
        "code": "replay-no-match",
        "method": live.method,
        "path": live.path,
        "cassette": source,
        "request": request,
        "closest": closest,
    }
