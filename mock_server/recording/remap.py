"""Id remapping for replay: the ids a client sends are bound to the ids the cassette recorded.

A replaying client cannot send the recorded bytes: it generates its own ids. Matching therefore
unifies a live request with a recorded one under *bindings* that grow as the replay goes on:

* **string ids** (``session_id``, ``model_id``, ``sampling_session_id``, ``request_id``,
  ``sampler_id``, ``training_run_id``, ``process_uuid`` — in bodies and path parameters): the first
  time a live value meets a recorded one they are bound, one-to-one; afterwards the live value must
  meet the same recorded value again, and occurrences inside other strings (``tinker://<model_id>/…``)
  are rewritten before comparing. Ids the replayed answers handed out come back unchanged, so
  they bind to themselves; ids the client makes up bind to the recorded ones.
* **sequence numbers** (``seq_id`` per ``model_id``/``sampling_session_id``; ``model_seq_id``,
  ``sampling_session_seq_id``, ``custom_loss_seq_id`` per ``session_id``; protocol reference §8.2,
  §9.2): bound by *offset* per scope, so a sampling clone counting from ``k * 1e9`` replays a
  recording that counted from 0, while a skipped or reordered number still fails.
* **idempotency keys** (``X-Idempotency-Key``, §2.1) are not matched; a bound key only steers a
  retried call towards the recorded retry of the same call (see :mod:`mock_server.recording.matcher`).

Answers are rewritten back: a recorded id bound to a different live id is replaced in JSON answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ID_FIELDS", "SEQ_SCOPES", "Bindings", "Unification"]

ID_FIELDS = frozenset(
    {"session_id", "model_id", "sampling_session_id", "request_id", "sampler_id", "training_run_id", "process_uuid"}
)
SEQ_SCOPES: dict[str, tuple[str, ...]] = {
    "seq_id": ("model_id", "sampling_session_id"),
    "model_seq_id": ("session_id",),
    "sampling_session_seq_id": ("session_id",),
    "custom_loss_seq_id": ("session_id",),
}
MAX_DIFFERENCES = 12


@dataclass
class Bindings:
    """Committed bindings of one replay."""

    ids: dict[str, str] = field(default_factory=dict)  # live -> recorded
    recorded_ids: dict[str, str] = field(default_factory=dict)  # recorded -> live
    offsets: dict[tuple[str, str], int] = field(default_factory=dict)  # (field, recorded scope) -> recorded - live
    idempotency: dict[str, str] = field(default_factory=dict)  # live key -> recorded key

    def commit(self, trial: Unification) -> None:
        for live, recorded in trial.ids.items():
            self.ids[live] = recorded
            self.recorded_ids[recorded] = live
        self.offsets.update(trial.offsets)

    def live_for(self, value: Any) -> Any:
        """An answer's JSON with recorded ids replaced by the live ids they are bound to."""
        renames = {rec: live for rec, live in self.recorded_ids.items() if rec != live}
        return _rename(value, renames) if renames else value


def _rename(value: Any, renames: dict[str, str]) -> Any:
    if isinstance(value, str):
        for old in sorted(renames, key=len, reverse=True):
            if old in value:
                value = value.replace(old, renames[old])
        return value
    if isinstance(value, dict):
        return {k: _rename(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, renames) for v in value]
    return value


class Unification:
    """One attempt to match a live value against a recorded one, on top of committed bindings."""

    def __init__(self, bindings: Bindings, *, remap: bool = True) -> None:
        self.base = bindings
        self.remap = remap  # False: ids and sequence numbers must be equal (vcrpy matching is stateless)
        self.ids: dict[str, str] = {}
        self.offsets: dict[tuple[str, str], int] = {}
        self.differences: list[str] = []

    @property
    def ok(self) -> bool:
        return not self.differences

    def _differ(self, where: str, recorded: Any, live: Any, why: str = "") -> None:
        if len(self.differences) < MAX_DIFFERENCES:
            self.differences.append(f"{where}: recorded {_short(recorded)}, received {_short(live)}{why}")
        elif len(self.differences) == MAX_DIFFERENCES:
            self.differences.append("… more differences not shown")

    def _bound(self, live: str) -> str | None:
        return self.ids.get(live, self.base.ids.get(live))

    def _taken(self, recorded: str) -> bool:
        return recorded in self.base.recorded_ids or recorded in self.ids.values()

    def rewrite(self, text: str) -> str:
        """``text`` with every live id bound to a different recorded id replaced by the recorded one."""
        renames = {live: rec for live, rec in (*self.base.ids.items(), *self.ids.items()) if live != rec}
        return _rename(text, renames) if renames else text

    def ident(self, where: str, recorded: str, live: str) -> None:
        if live != recorded and self.rewrite(live) == recorded:  # derived from bound ids (``<session>:sample:0``)
            return
        bound = self._bound(live)
        if bound is not None:
            if bound != recorded:
                self._differ(where, recorded, live, f" (bound to {bound!r})")
        elif self._taken(recorded) and self.base.recorded_ids.get(recorded) != live:
            self._differ(where, recorded, live, " (the recorded id is bound to another id)")
        else:
            self.ids[live] = recorded

    def seq(self, where: str, name: str, recorded: int, live: int, scope: str) -> None:
        key = (name, scope)
        offset = self.offsets.get(key, self.base.offsets.get(key))
        if offset is None:
            self.offsets[key] = recorded - live
        elif recorded - live != offset:
            self._differ(where, recorded, live, f" (this scope is offset by {offset})")

    def value(self, where: str, recorded: Any, live: Any, name: str | None = None, scope: str = "") -> None:
        """Unify two JSON values; ``name`` is the key they sit under, ``scope`` its sequence scope."""
        if self.remap and name in ID_FIELDS and isinstance(recorded, str) and isinstance(live, str):
            self.ident(where, recorded, live)
        elif self.remap and name in SEQ_SCOPES and _is_int(recorded) and _is_int(live):
            self.seq(where, name, recorded, live, scope)
        elif isinstance(recorded, dict) and isinstance(live, dict):
            self._mapping(where, recorded, live)
        elif isinstance(recorded, list) and isinstance(live, list):
            if len(recorded) != len(live):
                self._differ(f"{where} length", len(recorded), len(live))
            for i, (r, v) in enumerate(zip(recorded, live, strict=False)):
                self.value(f"{where}[{i}]", r, v)
        elif isinstance(recorded, str) and isinstance(live, str):
            if self.rewrite(live) != recorded:
                self._differ(where, recorded, live)
        elif recorded != live or type(recorded) is not type(live):
            self._differ(where, recorded, live)

    def _mapping(self, where: str, recorded: dict[str, Any], live: dict[str, Any]) -> None:
        for key in recorded.keys() - live.keys():
            self._differ(f"{where}.{key}", recorded[key], "(absent)")
        for key in live.keys() - recorded.keys():
            self._differ(f"{where}.{key}", "(absent)", live[key])
        # ids first, so sequence numbers find their scope bound
        for key in sorted(recorded.keys() & live.keys(), key=lambda k: k not in ID_FIELDS):
            scope = next((str(recorded[s]) for s in SEQ_SCOPES.get(key, ()) if isinstance(recorded.get(s), str)), "")
            self.value(f"{where}.{key}", recorded[key], live[key], key, scope)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
