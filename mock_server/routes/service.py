"""Client bootstrap, sessions, heartbeats, telemetry and capabilities (protocol reference §4, §11, §12).

Sessions are created by ``create_session`` (tags, user metadata, project, display name), kept
alive by heartbeats and closed by ``finish`` with a reason. A heartbeat for a session that has
finished or expired (``session_expiry_seconds`` of heartbeat silence on the server clock, see
:mod:`mock_server.sessions_lifecycle`) answers 410, which stops the 0.30+ SDK's heartbeat loop
(§4.3). ``finish`` is idempotent: finishing again, or finishing an expired session, changes nothing.
Telemetry batches are validated by the contract and stored per session (:mod:`mock_server.telemetry`).
In JWT mode ``auth/token`` mints a token for the caller (§12).
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from tinker_harness.contracts._service import (
    AuthTokenRequest,
    AuthTokenResponse,
    ClientConfigRequest,
    ClientDynamicConfigResponse,
    CreateSessionRequest,
    CreateSessionResponse,
    GetServerCapabilitiesResponse,
    HealthResponse,
    LegacyClientConfigResponse,
    SessionFinishRequest,
    SessionHeartbeatRequest,
    SessionHeartbeatResponse,
    SupportedModel,
)
from tinker_harness.contracts._telemetry import TelemetryResponse, TelemetrySendRequest
from tinker_harness.mock_server.calls import Call, empty_ok, handles, ok
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.generations import client_config_for
from tinker_harness.mock_server.sessions_lifecycle import ensure_alive, expire_idle_sessions, is_expired
from tinker_harness.mock_server.state import SessionRecord
from tinker_harness.mock_server.telemetry import store_batch

JWT_TTL_SECONDS = 3600.0


@handles("client_config")
async def client_config(call: Call) -> Response:
    body = call.parse(ClientConfigRequest)
    config = call.server.config
    flags = client_config_for(body.sdk_version, config.client_config, config.client_config_by_version)
    return ok(LegacyClientConfigResponse.model_validate(flags))


@handles("client_dynamic_config")
async def client_dynamic_config(call: Call) -> Response:
    call.parse(ClientConfigRequest)
    flags = call.server.config.dynamic_config
    if flags is None:
        raise ApiError(404, "dynamic-config-disabled", "this server does not serve dynamic client config")
    return ok(ClientDynamicConfigResponse.model_validate(flags))


@handles("create_session")
async def create_session(call: Call) -> Response:
    body = call.parse(CreateSessionRequest)
    server = call.server
    expire_idle_sessions(server)
    now = server.clock.now()
    record = SessionRecord(
        session_id=server.ids.uuid(),
        owner=call.owner,
        created_at=now,
        sdk_version=body.sdk_version,
        tags=sorted(set(body.tags)),
        user_metadata=dict(body.user_metadata or {}),
        project_id=body.project_id,
        display_name=body.display_name,
        last_heartbeat=now,
    )
    server.state.sessions[record.session_id] = record
    call.session_id = record.session_id
    return ok(CreateSessionResponse(session_id=record.session_id))


@handles("session_heartbeat")
async def session_heartbeat(call: Call) -> Response:
    body = call.parse(SessionHeartbeatRequest)
    record = call.server.state.session(body.session_id, call.owner)
    call.session_id = record.session_id
    ensure_alive(call.server, record)
    record.last_heartbeat = call.server.clock.now()
    return ok(SessionHeartbeatResponse())


@handles("finish_session")
async def finish_session(call: Call) -> Response:
    body = call.parse(SessionFinishRequest)
    record = call.server.state.session(call.path_params["session_id"], call.owner)
    call.session_id = record.session_id
    if record.finish_reason is None and not is_expired(call.server, record):
        record.finish_reason = body.reason.type
        record.finish_detail = body.detail
    return empty_ok()


@handles("telemetry")
async def telemetry(call: Call) -> Response:
    body = call.parse(TelemetrySendRequest)
    call.session_id = store_batch(call.server, call.owner, body)
    expire_idle_sessions(call.server)
    return ok(TelemetryResponse(status="accepted"))


@handles("healthz")
async def healthz(call: Call) -> Response:
    return ok(HealthResponse(status="ok"))


@handles("get_server_capabilities")
async def get_server_capabilities(call: Call) -> Response:
    models = [SupportedModel(**spec.model_dump(exclude={"renderer"})) for spec in call.server.config.base_models]
    return ok(GetServerCapabilitiesResponse(supported_models=models))


@handles("auth_token")
async def auth_token(call: Call) -> JSONResponse:
    call.parse(AuthTokenRequest)
    token = call.server.auth.mint(call.owner, now=call.server.clock.now(), ttl=JWT_TTL_SECONDS)
    return ok(AuthTokenResponse(jwt=token))
