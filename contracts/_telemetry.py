"""Client telemetry batches (protocol reference §5 row 24, §11, §19).

Every event carries the same envelope (``event``, ``event_id``, ``event_session_index``,
``severity``, ``timestamp``); the ``event`` value selects the shape. Timestamps are ISO 8601 UTC
with ``Z`` as the SDK writes them; ``SessionEndEvent.duration`` is ``str(timedelta)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BeforeValidator, Tag, TypeAdapter

from ._base import RequestModel, ResponseModel
from ._tags import tagged

_DATETIME = TypeAdapter(datetime)


def _timestamp_text(value: Any) -> Any:
    """An event time is RFC 3339 text on the wire (§11); a bare number is not read as epoch seconds.

    The text is parsed here, so strict validation (``mock_server.calls``) receives a datetime.
    """
    if isinstance(value, (int, float)):
        raise ValueError("timestamp must be an RFC 3339 string, not a number")
    return _DATETIME.validate_python(value) if isinstance(value, str) else value


Timestamp: TypeAlias = Annotated[datetime, BeforeValidator(_timestamp_text)]

__all__ = [
    "EventType",
    "GenericEvent",
    "SessionEndEvent",
    "SessionStartEvent",
    "Severity",
    "TelemetryEvent",
    "TelemetryResponse",
    "TelemetrySendRequest",
    "UnhandledExceptionEvent",
]

EventType: TypeAlias = Literal["SESSION_START", "SESSION_END", "UNHANDLED_EXCEPTION", "GENERIC_EVENT"]
"""Kind of telemetry event (§11)."""

Severity: TypeAlias = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
"""Log severity of a telemetry event (§11)."""


class SessionStartEvent(RequestModel):
    """Telemetry ``SESSION_START``, sent once by a session-ful holder (§11)."""

    event: EventType
    event_id: str
    event_session_index: int
    severity: Severity
    timestamp: Timestamp


class SessionEndEvent(RequestModel):
    """Telemetry ``SESSION_END``, sent only alongside a fatal exception (§11)."""

    duration: str
    event: EventType
    event_id: str
    event_session_index: int
    severity: Severity
    timestamp: Timestamp


class UnhandledExceptionEvent(RequestModel):
    """Telemetry ``UNHANDLED_EXCEPTION`` (§11)."""

    error_message: str
    error_type: str
    event: EventType
    event_id: str
    event_session_index: int
    severity: Severity
    timestamp: Timestamp
    traceback: str | None = None


class GenericEvent(RequestModel):
    """Telemetry ``GENERIC_EVENT`` with a free-form JSON payload (§11)."""

    event: EventType
    event_id: str
    event_name: str
    event_session_index: int
    severity: Severity
    timestamp: Timestamp
    event_data: dict[str, Any] = {}


TelemetryEvent: TypeAlias = Annotated[
    Annotated[SessionStartEvent, Tag("SESSION_START")]
    | Annotated[SessionEndEvent, Tag("SESSION_END")]
    | Annotated[UnhandledExceptionEvent, Tag("UNHANDLED_EXCEPTION")]
    | Annotated[GenericEvent, Tag("GENERIC_EVENT")],
    tagged("event"),
]
"""One event of a telemetry batch, dispatched on its ``event`` value."""


class TelemetrySendRequest(RequestModel):
    """Body of POST /api/v1/telemetry (§5 row 24, §11)."""

    events: list[TelemetryEvent]
    platform: str
    sdk_version: str
    session_id: str
    # Required from 0.24.1 on; tinker 0.15-0.22 send no process id (their tinker/types/
    # telemetry_send_request.py has none), and their telemetry must still be accepted (versions §1).
    process_uuid: str | None = None


class TelemetryResponse(ResponseModel):
    """Response of POST /api/v1/telemetry; anything but ``accepted`` fails SDK validation (§11)."""

    status: Literal["accepted"]
