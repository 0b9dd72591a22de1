"""Known-failing lists: scenarios an adapter is allowed to fail, each with a one-line reason.

A file (YAML) maps adapters to entries::

    known_failing:
      - id: futures/poll/400-empty-backs-off      # a scenario id or pattern (scenarios.patterns)
        adapter: python-sdk@0.15.*                # optional: name[@version glob]; default every adapter
        reason: tinker 0.15 re-polls an empty 400 at once (no backoff)

The ratchet (:func:`apply`, reusing :class:`scenarios.ratchet.Ratchet`): a listed failure does not
fail the run (*known*); an unlisted failure does (*new*); a listed scenario that now passes fails
the run too (*closed*: take it off the list). Bad files raise ScenarioFileError with file and line.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tinker_harness.scenarios.patterns import compile_pattern, matches
from tinker_harness.scenarios.ratchet import Ratchet
from tinker_harness.scenarios.yaml_lines import ScenarioFileError, line_for, load_located_file

__all__ = ["KnownFailing", "KnownFailure", "load_known_failing"]

FAILING = ("fail", "error")


class KnownFailure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    reason: str = Field(min_length=5, max_length=240, pattern=r"^[^\n]+$")
    adapter: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._*?-]+(@[A-Za-z0-9.*?+_-]+)?$")

    def applies(self, scenario_id: str, adapter: str, version: str) -> bool:
        if not matches(self.id, scenario_id):
            return False
        if self.adapter is None:
            return True
        name, _, wanted = self.adapter.partition("@")
        return fnmatch.fnmatchcase(adapter, name) and (not wanted or fnmatch.fnmatchcase(version, wanted))


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    known_failing: list[KnownFailure] = Field(default_factory=list)


@dataclass(frozen=True)
class KnownFailing:
    entries: tuple[KnownFailure, ...]
    source: str | None = None

    def reason(self, scenario_id: str, adapter: str, version: str) -> str | None:
        return next((e.reason for e in self.entries if e.applies(scenario_id, adapter, version)), None)

    def ratchet(self, outcomes: dict[str, str], adapter: str, version: str) -> Ratchet:
        """``outcomes`` maps scenario id → status; returns new/closed failures against this list."""
        listed = {i for i in outcomes if self.reason(i, adapter, version) is not None}
        failing = {i for i, status in outcomes.items() if status in FAILING}
        passing = {i for i, status in outcomes.items() if status == "pass"}
        return Ratchet(
            baseline=self.source,
            new=sorted(failing - listed),
            closed=sorted(listed & passing),
            closed_titles={i: self.reason(i, adapter, version) or "" for i in sorted(listed & passing)},
            known=len(listed & failing),
        )


def load_known_failing(path: Path | None) -> KnownFailing:
    """The list in ``path`` (an empty list for None), or every ``*.yaml`` list in a directory (one
    file per SDK version, say); errors name the file, line and field."""
    if path is None:
        return KnownFailing(())
    if path.is_dir():
        entries = [e for file in sorted(path.glob("*.yaml")) for e in _load_file(file).entries]
        return KnownFailing(tuple(entries), str(path))
    return _load_file(path)


def _load_file(path: Path) -> KnownFailing:
    located = load_located_file(path)
    try:
        data = _File.model_validate(located.data if located.data is not None else {})
        for entry in data.known_failing:
            compile_pattern(entry.id)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = list(first["loc"])
        where = ".".join(str(p) for p in loc)
        raise ScenarioFileError(str(path), line_for(located.lines, loc), where, str(first["msg"])) from None
    except ValueError as exc:
        raise ScenarioFileError(str(path), None, "known_failing", str(exc)) from None
    return KnownFailing(tuple(data.known_failing), str(path))
