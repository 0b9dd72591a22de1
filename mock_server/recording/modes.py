"""Record modes of in-process recording (vcrpy's)."""

from __future__ import annotations

from enum import Enum

__all__ = ["RecordMode", "RecordModeError"]


class RecordModeError(ValueError):
    """An unknown record mode; the message lists the valid ones."""


class RecordMode(str, Enum):  # noqa: UP042 - str() of a member stays its value, as vcrpy expects
    """When the cassette is written.

    ``once``: record when the file does not exist, else replay it and refuse anything new;
    ``none``: replay only, the network is never used; ``new_episodes``: replay what is recorded
    and record the rest; ``all``: record everything again (the file is rewritten).
    """

    ONCE = "once"
    NONE = "none"
    NEW_EPISODES = "new_episodes"
    ALL = "all"

    @classmethod
    def parse(cls, value: str | RecordMode) -> RecordMode:
        """Fail loudly on a misspelt mode instead of silently recording."""
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(repr(m.value) for m in cls)
            raise RecordModeError(f"REPLAY: {value!r} is not a record mode; valid modes are {valid}") from None
