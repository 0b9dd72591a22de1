"""The known-gaps file: a ratchet across runs.

The file (JSON) lists the gap ids of an accepted baseline. Each run compares its gaps with it:
*new* gaps (not in the baseline) and *closed* gaps (in the baseline, gone now) are reported first;
``--update-known-gaps`` rewrites the baseline, ``--fail-on-new`` makes new gaps fail the command.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from tinker_harness.scenarios.ratchet import Ratchet

from .findings import Finding

__all__ = ["KnownGaps", "KnownGapsError", "Ratchet", "apply_ratchet", "load_known_gaps", "write_known_gaps"]


class KnownGapsError(ValueError):
    """The known-gaps file is unreadable or malformed; the message names the file."""


class KnownGap(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: str
    title: str


class KnownGaps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    sdk_version: str
    gaps: dict[str, KnownGap]


def load_known_gaps(path: Path) -> KnownGaps | None:
    if not path.exists():
        return None
    try:
        return KnownGaps.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KnownGapsError(f"{path}: cannot read: {exc.strerror}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise KnownGapsError(f"{path}: {where}: {first['msg']}") from exc


def apply_ratchet(findings: list[Finding], known: KnownGaps | None, path: Path | None) -> Ratchet:
    current = {f.id for f in findings}
    if known is None:
        return Ratchet(baseline=None, new=sorted(current), closed=[], known=0)
    baseline = set(known.gaps)
    closed = sorted(baseline - current)
    return Ratchet(
        baseline=str(path),
        new=sorted(current - baseline),
        closed=closed,
        closed_titles={i: known.gaps[i].title for i in closed},
        known=len(baseline & current),
    )


def write_known_gaps(path: Path, sdk_version: str, findings: list[Finding]) -> None:
    data = KnownGaps(
        sdk_version=sdk_version,
        gaps={f.id: KnownGap(severity=f.severity.value, title=f.title) for f in sorted(findings, key=lambda f: f.id)},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data.model_dump(mode="json"), indent=2, sort_keys=True) + "\n", encoding="utf-8")
