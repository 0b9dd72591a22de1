"""The adapter protocol: what the conformance runner and an SDK adapter say to each other.

An adapter is a separate process (any language) that drives one SDK. The runner starts it with
``TINKER_BASE_URL`` and ``TINKER_API_KEY`` pointing at a fresh mock server, and they exchange JSON
objects, one per line (UTF-8, ``\\n``-terminated):

1. adapter → runner, first line: a ``hello`` naming the SDK and its capabilities;
2. runner → adapter: one ``step`` at a time (an operation of the SDK-neutral vocabulary below);
3. adapter → runner: exactly one ``result`` per step, carrying either a result summary or a
   normalised error kind;
4. runner → adapter: ``shutdown`` (or end of input): the adapter exits with status 0.

An adapter that says ``"reset": true`` in its hello may be kept for many scenarios: between two,
the runner sends ``{"type": "reset", "env": {...}}``; the adapter tears down every client of the
previous scenario as its exit would (background loops stopped, buffered telemetry sent), replaces
its ``TINKER_*``/``TINKER_HARNESS_*`` environment with ``env`` (the next scenario's server), and
answers ``{"type": "reset", "ok": true}``. One client per scenario, one process for many.

``docs/adapter-protocol.md`` is the prose version of this module, with a complete exchange. The
SDK-neutral vocabulary names the public operations of protocol reference §18 (ServiceClient,
TrainingClient, SamplingClient, RestClient); error kinds follow §15 and §6.3.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ADAPTER_OPS",
    "CAPABILITIES",
    "ERROR_KINDS",
    "PROTOCOL_VERSION",
    "RUNNER_OPS",
    "AdapterError",
    "Hello",
    "ResetAnswer",
    "ResultMessage",
    "StepMessage",
    "is_error_kind",
    "version_tuple",
]

PROTOCOL_VERSION: Final = 1

# Operations an adapter performs with its SDK (see docs/adapter-protocol.md for arguments and results).
ADAPTER_OPS: Final = (
    "create_training_client",
    "create_training_client_from_state",
    "create_sampling_client",
    "save_weights_and_get_sampling_client",
    "forward_backward",
    "forward",
    "forward_backward_custom",
    "optim_step",
    "save_state",
    "save_weights_for_sampler",
    "save_weights_external",
    "sample",
    "compute_logprobs",
    "get_server_capabilities",
    "get_training_run",
    "list_training_runs",
    "list_checkpoints",
    "list_user_checkpoints",
    "delete_checkpoint",
    "publish_checkpoint",
    "unpublish_checkpoint",
    "set_checkpoint_ttl",
    "get_weights_info",
    "get_external_weights_urls",
    "get_session",
    "list_sessions",
    "export_session_trace",
    "close",
    "await",
)

# Operations the runner performs itself; they are never sent to an adapter.
RUNNER_OPS: Final = ("advance_clock", "sleep", "wait_for", "set_faults", "fetch_urls")

# What an adapter may declare in its hello; a scenario runs only if the adapter has all it requires.
CAPABILITIES: Final[dict[str, str]] = {
    "training": "create_training_client, forward_backward, forward, optim_step (§8)",
    "sampling": "create_sampling_client, sample, compute_logprobs (§9)",
    "checkpoints": "save_state, save_weights_for_sampler, save_weights_and_get_sampling_client (§8.4)",
    "create_via_load": "create_training_client_from_state as one session-addressed load_weights (§8.1)",
    "external_weights": "save_weights_external, get_external_weights_urls (§5 rows 15 and 34)",
    "rest": "RestClient: capabilities, training runs, checkpoint listing and management (§10)",
    "rest:sessions": "RestClient: get_session, list_sessions (§5 rows 37-38)",
    "trace_export": "RestClient.export_session_trace (§5 row 40)",
    "session_finish": "close sends POST /sessions/{id}/finish (§4.4)",
    "heartbeat": "a background POST /session_heartbeat every 10 s (§4.3)",
    "heartbeat:stop-on-410": "the heartbeat loop stops for good on HTTP 410 (§4.3)",
    "telemetry": "POST /telemetry batches (§11)",
    "pipelining": "steps with await: false, completed later by an await step (§8.2)",
    "custom_loss": "forward_backward_custom with a client-side loss (§8.5)",
    "billing_pause": "402 pauses silently and retries (§3.2)",
    "faults:transport": "survives broken connections: resets, empty or garbled answers (§3.1, §6.3)",
    "auth:jwt": "JWT mode: /auth/token exchange when pjwt_auth_enabled (§12)",
    "get_info": "POST /get_info after every training-client creation (§8.1)",
}

# Normalised error kinds an adapter reports (docs/adapter-protocol.md, "Error kinds").
ERROR_KINDS: Final[dict[str, str]] = {
    "invalid_argument": "refused by the client before anything was sent",
    "bad_request": "HTTP 400 surfaced to the caller",
    "authentication": "HTTP 401",
    "billing": "HTTP 402 surfaced (the billing pause ran out)",
    "permission_denied": "HTTP 403",
    "not_found": "HTTP 404",
    "conflict": "HTTP 409 surfaced after retries",
    "gone": "HTTP 410 on a request that is not a future poll (finished or expired session)",
    "unprocessable": "HTTP 422",
    "rate_limited": "HTTP 429 surfaced after retries",
    "server_error": "HTTP 5xx surfaced after retries",
    "api_status": "any other non-2xx status",
    "request_failed:user": "the future failed with category user (§6.2 item 4)",
    "request_failed:server": "the future failed with category server",
    "request_failed:unknown": "the future failed with category unknown (or an unrecognised one)",
    "future_expired": "retrieve_future answered 410: the promise is gone (§6.3)",
    "future_poll_failed": "a fatal retrieve_future status, or the 400 budget is spent (§6.3)",
    "connection": "no HTTP response (refused, reset) after retries",
    "timeout": "no HTTP response in time",
    "protocol": "the server's answer broke the contract (bad JSON, JSON where protobuf was required...)",
    "unsupported": "the adapter cannot express this step with its SDK (the scenario is skipped)",
    "adapter_error": "anything else: an unexpected exception in the adapter or the SDK",
}

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


def version_tuple(version: str) -> tuple[int, int, int]:
    """``"0.38.0+local"`` → ``(0, 38, 0)``; ValueError when it does not start with a version."""
    match = _VERSION.match(version)
    if match is None:
        raise ValueError(f"{version!r} is not a version (expected e.g. 0.38.0)")
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def is_error_kind(kind: str) -> bool:
    return kind in ERROR_KINDS


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Hello(_Message):
    """The adapter's first line: who it is and what it can do."""

    type: Literal["hello"]
    protocol: int = Field(ge=1)
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    version: str = Field(min_length=1)
    # The Tinker SDK generation whose protocol the adapter speaks; scenarios gate on it with ``sdk>=X.Y``.
    sdk_protocol: str
    capabilities: list[str] = Field(default_factory=list)
    # The adapter understands {"type": "reset", "env": {...}} and can run many scenarios in one process.
    reset: bool = False

    @field_validator("sdk_protocol")
    @classmethod
    def _is_version(cls, value: str) -> str:
        version_tuple(value)
        return value

    @field_validator("capabilities")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(CAPABILITIES))
        if unknown:
            raise ValueError(f"unknown capabilities {unknown}; known: {sorted(CAPABILITIES)}")
        return value


class StepMessage(_Message):
    """Runner → adapter: perform one operation."""

    type: Literal["step"] = "step"
    id: int
    op: str
    args: dict[str, Any] = Field(default_factory=dict)
    as_: str | None = Field(default=None, alias="as")
    await_: bool = Field(default=True, alias="await")


class AdapterError(_Message):
    """A normalised failure: the kind, a message, and the HTTP status when one was involved."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str
    message: str = ""
    status: int | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if not is_error_kind(value):
            raise ValueError(f"unknown error kind {value!r}; known: {sorted(ERROR_KINDS)}")
        return value


class ResultMessage(_Message):
    """Adapter → runner: the outcome of step ``id``."""

    type: Literal["result"]
    id: int
    ok: bool
    result: dict[str, Any] | None = None
    error: AdapterError | None = None

    @model_validator(mode="after")
    def _one_outcome(self) -> ResultMessage:
        if self.ok and self.error is not None:
            raise ValueError("an ok result carries no error")
        if not self.ok and self.error is None:
            raise ValueError("a failed result needs an error {kind, message}")
        return self


class ResetAnswer(_Message):
    """Adapter → runner: the previous scenario's clients are gone and the new environment is in force."""

    type: Literal["reset"]
    ok: bool
    error: str | None = None
