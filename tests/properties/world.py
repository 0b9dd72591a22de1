"""What the state machine believes the mock holds: runs, checkpoints, the clock and the calls it made.

The model is deliberately small and written from the protocol reference, not from the server's code:
a checkpoint is live while it is neither deleted nor past its TTL (§10, checkpoints), only its owner
may change it, and anyone may read it once it is public. The invariants compare this model with
what the server answers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["weights", "sampler_weights"]
Outcome = Literal["ok", "not_found", "conflict", "failed"]


@dataclass
class CheckpointModel:
    path: str
    owner: str
    kind: Kind
    expires_at: float | None
    public: bool = False
    deleted: bool = False

    def live(self, now: float) -> bool:
        return not self.deleted and (self.expires_at is None or self.expires_at > now)


@dataclass
class World:
    now: float
    runs: dict[str, str] = field(default_factory=dict)  # model_id -> owning key
    checkpoints: dict[str, CheckpointModel] = field(default_factory=dict)  # tinker path -> checkpoint
    calls: Counter[str] = field(default_factory=Counter)  # foreground endpoints the machine caused
    armed_failure: str | None = None  # the submit endpoint whose next future the fault plan fails

    def expect(self, *endpoints: str) -> None:
        self.calls.update(endpoints)

    def take_failure(self, endpoint: str) -> bool:
        """Whether this submit's future is the one the armed ``fail`` rule settles as failed."""
        if self.armed_failure != endpoint:
            return False
        self.armed_failure = None
        return True

    def live(self, path: str) -> CheckpointModel | None:
        checkpoint = self.checkpoints.get(path)
        return checkpoint if checkpoint is not None and checkpoint.live(self.now) else None

    def saved(self, path: str, owner: str, kind: Kind, ttl: int | None) -> None:
        expires = None if ttl is None else self.now + ttl
        self.checkpoints[path] = CheckpointModel(path, owner, kind, expires)

    def readable(self, path: str, reader: str) -> bool:
        checkpoint = self.live(path)
        return checkpoint is not None and (checkpoint.owner == reader or checkpoint.public)

    def owner_change(self, path: str, caller: str) -> Outcome:
        """Delete / TTL: only the owner of a live checkpoint; anything else is 404 (§12: no foreign data)."""
        checkpoint = self.live(path)
        return "ok" if checkpoint is not None and checkpoint.owner == caller else "not_found"

    def visibility_change(self, path: str, caller: str, public: bool) -> Outcome:
        """Publish / unpublish: 404 unless the caller owns it, 409 when it already is that way."""
        if self.owner_change(path, caller) == "not_found":
            return "not_found"
        return "conflict" if self.checkpoints[path].public == public else "ok"

    def listed(self, owner: str) -> dict[str, bool]:
        """The paths ``owner``'s checkpoint listing must show, with their public flag."""
        return {c.path: c.public for c in self.checkpoints.values() if c.owner == owner and c.live(self.now)}

    def runs_of(self, owner: str) -> set[str]:
        return {model_id for model_id, key in self.runs.items() if key == owner}
