"""Client bootstrap, sessions, heartbeats, telemetry and capabilities (protocol reference §4, §11, §12).

Sessions are created by ``create_session``, kept alive by heartbeats and closed by ``finish``.
A heartbeat or finish for a session that has already finished answers 410, which stops the 0.38 SDK's
heartbeat loop (§4.3). Telemetry batches are validated by the contract and kept per session.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from contracts._service import (
    AuthTokenRequest,
    AuthTokenResponse,
    ClientConfigRequest,
    ClientConfigResponse,
    ClientDynamicConfigResponse,
    CreateSessionRequest,
    CreateSessionResponse,
    GetServerCapabilitiesResponse,
    HealthResponse,
    SessionFinishRequest,
    SessionHeartbeatRequest,
    SessionHeartbeatResponse,
    SupportedModel,
)
from contracts._telemetry import TelemetryResponse, TelemetrySendRequest
from mock_server.calls import Call, empty_ok, handles, ok
from mock_server.errors import ApiError
from mock_server.redaction import redact
from mock_server.runs import live_session
from mock_server.state import SessionRecord

JWT_TTL_SECONDS = 3600.0


@handles("client_config")
async def client_config(call: Call) -> Response:
    call.parse(ClientConfigRequest)
    return ok(ClientConfigResponse.model_validate(call.server.config.client_config))


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
    record = live_session(call, body.session_id)
    record.last_heartbeat = call.server.clock.now()
    return ok(SessionHeartbeatResponse())


@handles("finish_session")
async def finish_session(call: Call) -> Response:
    body = call.parse(SessionFinishRequest)
    record = call.server.state.session(call.path_params["session_id"], call.owner)
    call.session_id = record.session_id
    if record.finish_reason is None:
        record.finish_reason = body.reason.type
        record.finish_detail = body.detail
    return empty_ok()


@handles("telemetry")
async def telemetry(call: Call) -> Response:
    body = call.parse(TelemetrySendRequest)
    if body.session_id in call.server.state.sessions:
        call.session_id = body.session_id
    call.server.state.telemetry.append({"owner": call.owner, **redact(body.to_wire())})
    return ok(TelemetryResponse(status="accepted"))


@handles("healthz")
async def healthz(call: Call) -> Response:
    return ok(HealthResponse(status="ok"))


@handles("get_server_capabilities")
async def get_server_capabilities(call: Call) -> Response:
    models = [SupportedModel(**spec.model_dump()) for spec in call.server.config.base_models]
    return ok(GetServerCapabilitiesResponse(supported_models=models))


@handles("auth_token")
async def auth_token(call: Call) -> JSONResponse:
    call.parse(AuthTokenRequest)
    owner = call.server.auth.owner_of_key(call.header("x-api-key"))
    token = call.server.auth.mint(owner, now=call.server.clock.now(), ttl=JWT_TTL_SECONDS)
    return ok(AuthTokenResponse(jwt=token))
