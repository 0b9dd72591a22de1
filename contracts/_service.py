"""Client bootstrap, sessions, auth and capabilities (protocol reference §4, §5 rows 1-8, §12, §19).

A session-ful client starts with ``/client/config``, ``/client/dynamic_config`` and
``/create_session`` (§4.1), then heartbeats every 10 s (§4.3) and finally POSTs
``/sessions/{id}/finish`` (§4.4). ``/auth/token`` is used only in JWT mode (§12).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import SerializerFunctionWrapHandler, model_serializer

from ._base import RequestModel, ResponseModel
from ._sessions import ClientSessionFinishReasonType

__all__ = [
    "AuthTokenRequest",
    "AuthTokenResponse",
    "ClientConfigRequest",
    "ClientConfigResponse",
    "ClientDynamicConfigResponse",
    "CreateSessionRequest",
    "CreateSessionResponse",
    "GetServerCapabilitiesResponse",
    "HealthResponse",
    "SessionFinishReason",
    "SessionFinishRequest",
    "SessionHeartbeatRequest",
    "SessionHeartbeatResponse",
    "SupportedModel",
]


class ClientConfigRequest(RequestModel):
    """Body of POST /api/v1/client/config and /client/dynamic_config (§5 rows 1-2)."""

    sdk_version: str


class ClientConfigResponse(ResponseModel):
    """Response of POST /api/v1/client/config: server-resolved feature flags (§4.1, §8.3, §9)."""

    pjwt_auth_enabled: bool = False
    credential_default_source: str = "api_key"
    sample_dispatch_bytes_semaphore_size: int = 10 * 1024 * 1024
    inflight_response_bytes_semaphore_size: int = 50 * 1024 * 1024
    parallel_fwdbwd_chunks: bool = True
    proto_compress_fwdbwd: bool = False
    fwdbwd_max_chunk_len: int = 1024
    fwdbwd_max_chunk_bytes_count: int = 5_000_000
    fwdbwd_dispatch_bytes_semaphore_size: int = 50_000_000
    billing_exception_max_pause_duration_sec: int = 3600
    sample_no_retries: bool = False
    sample_enable_stuck_detection: bool = True
    sample_max_concurrent_requests: int = 2000
    use_pyqwest_transport: bool = True
    sample_use_retrieve_futures: bool = False
    custom_loss_server_side: bool = False
    sample_join_sampling_session: bool = False


class LegacyClientConfigResponse(ClientConfigResponse):
    """The client config with the switches older SDKs also read (versions reference §10), sent only
    when the server sets them (``None`` fields stay off the wire, so newer SDKs never see them):
    ``proto_write_fwdbwd`` (0.21-0.24.1: protobuf forward_backward bodies, else JSON),
    ``fwd_via_fwdbwd`` (0.24.1: forward as forward_backward with ``forward_only``, with protobuf on),
    ``create_model_via_load_weights`` (0.24.1-0.36.0: restore a state with one session-addressed
    load_weights instead of weights_info, create_model and a model-addressed load_weights)."""

    proto_write_fwdbwd: bool | None = None
    fwd_via_fwdbwd: bool | None = None
    create_model_via_load_weights: bool | None = None


class ClientDynamicConfigResponse(ResponseModel):
    """Response of POST /api/v1/client/dynamic_config, refreshed in the background (§4.1)."""

    refresh_interval_sec: int = 300
    sample_cancel_enabled: bool = False
    sample_cancel_max_batch_size: int = 64


class CreateSessionRequest(RequestModel):
    """Body of POST /api/v1/create_session (§5 row 3, §4.2); ``user_metadata`` is a required key."""

    tags: list[str]
    user_metadata: dict[str, Any] | None
    sdk_version: str
    project_id: str | None = None
    display_name: str | None = None
    type: Literal["create_session"] = "create_session"

    def to_wire(self) -> dict[str, Any]:
        """Keep ``user_metadata`` even when it is ``None``: the key is required, so dropping it (as the generic
        ``exclude_none`` dump would) gives a body this model refuses. Every SDK sends ``user_metadata or {}``."""
        return {**super().to_wire(), "user_metadata": self.user_metadata}


class CreateSessionResponse(ResponseModel):
    """Response of POST /api/v1/create_session (§4.2); the messages are logged by the SDK."""

    type: Literal["create_session"] = "create_session"
    info_message: str | None = None
    warning_message: str | None = None
    error_message: str | None = None
    session_id: str


class SessionHeartbeatRequest(RequestModel):
    """Body of POST /api/v1/session_heartbeat (§5 row 4, §4.3)."""

    session_id: str
    type: Literal["session_heartbeat"] = "session_heartbeat"


class SessionHeartbeatResponse(ResponseModel):
    """Response of POST /api/v1/session_heartbeat (§4.3)."""

    type: Literal["session_heartbeat"] = "session_heartbeat"


class SessionFinishReason(RequestModel):
    """``reason`` of POST /api/v1/sessions/{session_id}/finish (§4.4)."""

    type: ClientSessionFinishReasonType


class SessionFinishRequest(RequestModel):
    """Body of POST /api/v1/sessions/{session_id}/finish (§5 row 5, §4.4); ``detail`` is sent even if null."""

    reason: SessionFinishReason
    detail: str | None = None

    @model_serializer(mode="wrap")
    def _always_send_detail(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body: dict[str, Any] = handler(self)
        body.setdefault("detail", self.detail)
        return body


class AuthTokenRequest(RequestModel):
    """Body of POST /api/v1/auth/token: an empty object (§5 row 6, §12)."""


class AuthTokenResponse(ResponseModel):
    """Response of POST /api/v1/auth/token: a JWT with ``exp`` (and ``iat``) claims (§12)."""

    jwt: str


class HealthResponse(ResponseModel):
    """Response of GET /api/v1/healthz (§5 row 7)."""

    status: Literal["ok"]


class SupportedModel(ResponseModel):
    """One entry of the server capabilities (§5.2)."""

    model_name: str | None = None
    max_context_length: int | None = None
    trainable: bool | None = None
    sampleable: bool | None = None


class GetServerCapabilitiesResponse(ResponseModel):
    """Response of GET /api/v1/get_server_capabilities (§5 row 8, §5.2)."""

    supported_models: list[SupportedModel]
