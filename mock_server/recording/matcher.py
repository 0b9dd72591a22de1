"""Which recorded interaction answers a live request (the replay server's core).

A live request matches a recorded one when method and endpoint (or raw path) agree and path
parameters, query and normalised body (:mod:`mock_server.recording.normalise`) unify under the
replay's id bindings (:mod:`mock_server.recording.remap`). Among the matches not yet served, the
one recorded first wins, so repeated identical requests — ``retrieve_future`` long-polls answered
``try_again`` then the result (protocol reference §6), a 429 then its retry (§3) — get the
recorded answers in the recorded order. A retried call (same ``X-Idempotency-Key``) prefers the
recorded retry of the same call.

When every match has been served: background chatter whose count depends on timing (heartbeats,
telemetry, config refreshes, §4.3, §11) gets the last recorded answer again; anything else is
*exhausted*. When nothing matches, the caller gets a near-miss diagnosis
(:mod:`mock_server.recording.diagnosis`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from tinker_harness.contracts.traits import endpoints_with
from tinker_harness.mock_server.recording.bodies import json_or_none
from tinker_harness.mock_server.recording.cassette import Cassette, Interaction
from tinker_harness.mock_server.recording.normalise import RequestKey, recorded_key
from tinker_harness.mock_server.recording.remap import ID_FIELDS, Bindings, Unification
from tinker_harness.mock_server.recording.scrub import Scrubber, ScrubRules

__all__ = ["REPEATABLE", "Outcome", "Recorded", "ReplayMatcher"]

REPEATABLE = endpoints_with("repeatable")


@dataclass
class Recorded:
    interaction: Interaction
    key: RequestKey
    played: int = 0

    @property
    def idempotency_key(self) -> str | None:
        return self.interaction.request.header("x-idempotency-key")


@dataclass
class Outcome:
    kind: Literal["served", "repeated", "exhausted", "no_match"]
    recorded: Recorded | None = None
    matches: list[Recorded] | None = None  # for "exhausted": the recorded matches, all served


def unify(bindings: Bindings, recorded: RequestKey, live: RequestKey) -> tuple[Unification, list[str]]:
    """Unify path parameters, query and body; also return which of those parts differ."""
    trial = Unification(bindings)
    failed: list[str] = []
    for part, rec_value, live_value in (
        ("path", dict(recorded.params) if recorded.endpoint else recorded.path, _live_path(live, recorded)),
        ("query", _query(recorded.query), _query(live.query)),
        ("body", recorded.body, live.body),
    ):
        before = len(trial.differences)
        if isinstance(rec_value, dict) and isinstance(live_value, dict) and part == "path":
            for name in rec_value.keys() & live_value.keys():
                trial.value(f"$.path.{name}", rec_value[name], live_value[name], name)
        else:
            trial.value(f"$.{part}", rec_value, live_value)
        if len(trial.differences) > before:
            failed.append(part)
    return trial, failed


def _live_path(live: RequestKey, recorded: RequestKey) -> Any:
    return dict(live.params) if recorded.endpoint else live.path


def _query(pairs: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for name, value in pairs:
        out[name].append(value)
    return dict(out)


class ReplayMatcher:
    """Serves a cassette's interactions to live requests; not thread-safe (one event loop)."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        header = cassette.header
        self.scrubber = Scrubber(
            ScrubRules.of(header.get("scrubbed_fields") or (), header.get("scrubbed_headers") or ())
        )
        ordered = sorted(cassette.interactions, key=lambda i: i.tinker.seq)
        self.entries = [Recorded(i, recorded_key(i, self.scrubber)) for i in ordered]
        self._routes: dict[tuple[str, str], list[Recorded]] = defaultdict(list)
        for entry in self.entries:
            self._routes[_route(entry.key)].append(entry)
        self.bindings = Bindings()

    def match(self, live: RequestKey, idempotency_key: str | None) -> Outcome:
        matches = []
        for entry in self._routes.get(_route(live), []):
            trial, _ = unify(self.bindings, entry.key, live)
            if trial.ok:
                matches.append((entry, trial))
        if not matches:
            return Outcome("no_match")
        fresh = [(e, t) for e, t in matches if e.played == 0]
        if fresh:
            entry, trial = self._prefer(fresh, idempotency_key)
            self.bindings.commit(trial)
            if idempotency_key and entry.idempotency_key:
                self.bindings.idempotency.setdefault(idempotency_key, entry.idempotency_key)
            self._bind_answer(entry)
            entry.played += 1
            return Outcome("served", entry)
        if live.endpoint in REPEATABLE:
            entry = matches[-1][0]
            entry.played += 1
            return Outcome("repeated", entry)
        return Outcome("exhausted", matches=[e for e, _ in matches])

    def _prefer(self, fresh: list[tuple[Recorded, Unification]], key: str | None) -> tuple[Recorded, Unification]:
        """A retry (known key) takes the recorded retry of its call; a new call an unclaimed recorded call."""
        if key is None:
            return fresh[0]
        bound = self.bindings.idempotency.get(key)
        claimed = set(self.bindings.idempotency.values())
        if bound is not None:
            same = [m for m in fresh if m[0].idempotency_key == bound]
            if same:
                return same[0]
        unclaimed = [m for m in fresh if m[0].idempotency_key not in claimed]
        return (unclaimed or fresh)[0]

    def _bind_answer(self, entry: Recorded) -> None:
        """Ids the answer hands out come back from the client as served (rewritten through the bindings)."""
        answer = json_or_none(entry.interaction.response.body)
        for value in _ids_in(answer):
            served = self.bindings.live_for(value)
            if served not in self.bindings.ids and value not in self.bindings.recorded_ids:
                self.bindings.ids[served] = value
                self.bindings.recorded_ids[value] = served

    def unplayed(self) -> list[Recorded]:
        """Recorded interactions never served (background chatter excluded)."""
        return [e for e in self.entries if e.played == 0 and e.key.endpoint not in REPEATABLE]


def _route(key: RequestKey) -> tuple[str, str]:
    return key.method, key.endpoint or key.path


def _ids_in(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ID_FIELDS and isinstance(v, str):
                found.append(v)
            else:
                found.extend(_ids_in(v))
    elif isinstance(value, list):
        for v in value:
            found.extend(_ids_in(v))
    return found
