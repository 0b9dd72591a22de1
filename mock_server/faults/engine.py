"""Deciding which fault fires on a call: rule matching, counters and the seeded generator.

The engine is consulted once per API call with the call's facts. Rules are tried in order; for
each rule that matches, its match counter advances, and it fires unless ``after``/``nth``/``times``
or its probability say no. Random draws (probabilities, latencies, garbage bytes) come from one
generator seeded by the plan, so replaying the same calls replays the same faults.
"""

from __future__ import annotations

import fnmatch
import math
import random
import threading
from dataclasses import dataclass
from typing import Any

from tinker_harness.mock_server.faults.plan import FaultPlan, FaultRule, Latency, Match, TryAgain

__all__ = ["CallFacts", "Decision", "FaultEngine"]


@dataclass(frozen=True)
class CallFacts:
    """What a rule can match on."""

    endpoint: str
    method: str
    path: str
    request_type: str | None = None
    session_id: str | None = None
    sdk_version: str | None = None


@dataclass(frozen=True)
class Decision:
    """A rule that fired on one call."""

    index: int
    rule: FaultRule
    latency: float
    garbage: bytes = b""

    def describe(self) -> str:
        name = f" {self.rule.name!r}" if self.rule.name else ""
        action = self.rule.action.kind if self.rule.action is not None else "latency only"
        extra = f" (+{self.latency:.3g}s)" if self.latency else ""
        return f"rule #{self.index}{name}: {action}{extra}"


def _one_of(value: str | list[str] | None, actual: str | None) -> bool:
    if value is None:
        return True
    return actual in ([value] if isinstance(value, str) else value)


def _matches(match: Match, facts: CallFacts) -> bool:
    return (
        _one_of(match.endpoint, facts.endpoint)
        and (match.method is None or match.method.upper() == facts.method)
        and (match.path is None or fnmatch.fnmatchcase(facts.path, match.path))
        and _one_of(match.request_type, facts.request_type)
        and (match.session_id is None or match.session_id == facts.session_id)
        and (match.sdk_version is None or fnmatch.fnmatchcase(facts.sdk_version or "", match.sdk_version))
    )


@dataclass
class _Counters:
    matched: int = 0
    fired: int = 0
    started_at: float | None = None


class FaultEngine:
    """The active fault plan of one server, with its counters."""

    def __init__(self, default_seed: int) -> None:
        self._lock = threading.Lock()
        self._default_seed = default_seed
        self._plan = FaultPlan()
        self._counters: list[_Counters] = []
        self._rng = random.Random(default_seed)

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def load(self, plan: FaultPlan) -> None:
        """Replace the active plan; counters and the generator start afresh."""
        with self._lock:
            self._plan = plan
            self._counters = [_Counters() for _ in plan.rules]
            self._rng = random.Random(plan.seed if plan.seed is not None else self._default_seed)

    def clear(self) -> None:
        self.load(FaultPlan())

    def _latency(self, latency: Latency | None) -> float:
        if latency is None:
            return 0.0
        if latency.fixed is not None:
            return latency.fixed
        if latency.uniform is not None:
            return self._rng.uniform(*latency.uniform)
        assert latency.lognormal is not None
        mu, sigma = latency.lognormal
        return math.exp(self._rng.gauss(mu, sigma))

    def _exhausted(self, rule: FaultRule, counters: _Counters, now: float) -> bool:
        if rule.times is not None and counters.fired >= rule.times:
            return True
        action = rule.action
        if isinstance(action, TryAgain) and action.seconds is not None and counters.started_at is not None:
            return now >= counters.started_at + action.seconds
        return False

    def decide(self, facts: CallFacts, now: float) -> Decision | None:
        """The decision for one call, or None to serve it normally."""
        with self._lock:
            for index, rule in enumerate(self._plan.rules):
                if not _matches(rule.match, facts):
                    continue
                counters = self._counters[index]
                counters.matched += 1
                wrong_turn = rule.match.nth is not None and counters.matched != rule.match.nth
                if counters.matched <= rule.after or wrong_turn:
                    continue
                if self._exhausted(rule, counters, now):
                    continue
                if rule.match.probability < 1.0 and self._rng.random() >= rule.match.probability:
                    continue
                counters.fired += 1
                if counters.started_at is None:
                    counters.started_at = now
                garbage = self._rng.randbytes(64) if getattr(rule.action, "fault", None) == "garbage" else b""
                return Decision(index, rule, self._latency(rule.latency), garbage)
        return None

    def status(self) -> dict[str, Any]:
        """The plan and how often each rule matched and fired (for the control API)."""
        with self._lock:
            return {
                "plan": self._plan.model_dump(mode="json", exclude_none=True),
                "rules": [
                    {"index": i, "name": r.name, "matched": c.matched, "fired": c.fired}
                    for i, (r, c) in enumerate(zip(self._plan.rules, self._counters, strict=True))
                ],
            }
