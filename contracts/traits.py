"""What kind of traffic each catalogue endpoint is: the one home of endpoint traits.

Every component that treats some endpoints specially (journal assertions, scenario wire checks,
the wire diff, recording and replay, the dispatcher) asks here instead of keeping its own list:

* ``periodic``: a client only ever sends it on its own timer, whatever the program does
  (heartbeats every 10 s, §4.3; telemetry batches, §11). Its count and position depend on timing.
* ``scheduled``: ``periodic``, plus what a client also refreshes on a timer after sending it at
  start-up (the dynamic config, §4.1).
* ``implicit``: the SDK sends it on its own, not as one of the program's calls: configuration and
  session set-up (§4), future polls and cancels (§6), token and tokenizer look-ups, plus every
  ``scheduled`` endpoint. A recording's steps leave these out.
* ``repeatable``: an answer recorded once may be served again when a client asks more often than
  the recording did (``scheduled`` chatter, configuration, health and capabilities).
* ``read``: a repeated idempotency key on it is not a retried write, so the server never replays a
  cached answer for it (polls and chatter, §2.1).
* ``unauthenticated``: served without an API key (§12).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["TRAITS", "Trait", "endpoints_with"]

Trait = Literal["periodic", "scheduled", "implicit", "repeatable", "read", "unauthenticated"]

_PERIODIC = frozenset({"session_heartbeat", "telemetry"})
_SCHEDULED = _PERIODIC | {"client_dynamic_config"}
TRAITS: dict[Trait, frozenset[str]] = {
    "periodic": _PERIODIC,
    "scheduled": _SCHEDULED,
    "implicit": _SCHEDULED
    | {
        "client_config",
        "create_session",
        "retrieve_future",
        "retrieve_futures",
        "cancel_future",
        "get_info",
        "get_sampler",
        "auth_token",
        "healthz",
        "join_sampling_session",
    },
    "repeatable": _SCHEDULED | {"client_config", "healthz", "get_server_capabilities"},
    "read": _SCHEDULED | {"retrieve_future", "retrieve_futures", "client_config"},
    "unauthenticated": frozenset({"healthz"}),
}


def endpoints_with(trait: Trait) -> frozenset[str]:
    """The names of the catalogue endpoints that have ``trait``."""
    return TRAITS[trait]
