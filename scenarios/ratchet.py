"""A ratchet: this run's failures compared with an accepted baseline (new, closed, known).

Used by the known-failing lists of ``conform`` (:mod:`scenarios.known_failing`) and by the parity
report's known-gaps file (:mod:`reports.ratchet`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Ratchet"]


class Ratchet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    baseline: str | None  # the file compared with; None when there was none
    new: list[str]
    closed: list[str]
    closed_titles: dict[str, str] = {}
    known: int = 0
