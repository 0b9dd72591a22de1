"""The harness control API under ``/_harness/control/`` (no Tinker path starts with ``/_harness``).

Operations: reset state, read and filter the journal, freeze/advance the clock, load/inspect/clear
the fault plan (validated whole before any rule applies), read a session's telemetry, and list live
sessions and futures. The same operations exist in Python on :class:`mock_server.app.MockServer`
(``reset()``, ``journal``, ``clock``, ``faults``, ``state``). Bad input gets a 400 naming the problem.

``POST reset`` resets everything (state, journal and its total, fault plan, clock); the body
``{"keep_faults": true}`` and/or ``{"keep_clock": true}`` keeps those. ``PUT faults`` takes the plan
as JSON or YAML (``application/yaml``, or any body that is not JSON). With ``control_token`` set
(``serve`` sets one whenever it binds beyond loopback) every control call needs
``Authorization: Bearer <token>``, else 401.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tinker_harness.contracts.request_json import load_json
from tinker_harness.mock_server.faults.plan import FaultPlan, FaultPlanError
from tinker_harness.mock_server.telemetry import control_telemetry

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["CONTROL_PREFIX", "routes"]

CONTROL_PREFIX = "/_harness/control"


class ClockCommand(BaseModel):
    """Body of POST /_harness/control/clock."""

    model_config = ConfigDict(extra="forbid")

    freeze: bool | None = None
    advance: float | None = Field(default=None, ge=0)


class ResetCommand(BaseModel):
    """Body of POST /_harness/control/reset (empty: reset everything)."""

    model_config = ConfigDict(extra="forbid")

    keep_faults: bool = False
    keep_clock: bool = False


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": "invalid-control-request"}, status_code=status)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return load_json(raw)
    except ValueError as exc:
        raise ValueError(f"body is not valid JSON: {exc}") from None


def _detail(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


async def _plan_body(request: Request) -> FaultPlan:
    """A fault plan sent as JSON, or as YAML (by content type, or a body that is not JSON)."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if "yaml" not in content_type:
        try:
            return FaultPlan.parse(load_json(raw) if raw else {}, "request body")
        except FaultPlanError:
            raise
        except ValueError as exc:
            if "json" in content_type:
                raise ValueError(f"request body is not valid JSON: {exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FaultPlanError("request body: not UTF-8 text") from None
    return FaultPlan.from_text(text, "request body")


def _authorised(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _guarded(endpoint: Callable[[Request], Awaitable[Response]], token: str | None) -> Callable[..., Any]:
    async def guarded(request: Request) -> Response:
        if not _authorised(request, token):
            detail = f"{request.method} {request.url.path} needs the control token: Authorization: Bearer <token>"
            return JSONResponse({"detail": detail, "code": "control-token-required"}, status_code=401)
        return await endpoint(request)

    return guarded


def routes(server: MockServer) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "journal_total": server.journal.total})

    async def reset(request: Request) -> Response:
        try:
            command = ResetCommand.model_validate(await _json_body(request))
        except ValueError as exc:
            return _problem(400, f"invalid reset command: {_detail(exc)}")
        server.reset(keep_faults=command.keep_faults, keep_clock=command.keep_clock)
        return JSONResponse({"status": "reset", **command.model_dump()})

    async def journal(request: Request) -> Response:
        params = request.query_params
        try:
            since = int(params.get("since", "0"))
        except ValueError:
            return _problem(400, f"'since' must be an integer sequence number, got {params.get('since')!r}")
        entries = server.journal.entries(
            endpoint=params.get("endpoint"), session_id=params.get("session_id"), since_seq=since
        )
        return JSONResponse({"entries": [e.to_json() for e in entries], "total": server.journal.total})

    async def clock(request: Request) -> Response:
        try:
            command = ClockCommand.model_validate(await _json_body(request))
        except ValueError as exc:
            return _problem(400, f"invalid clock command: {_detail(exc)}")
        if command.freeze is True:
            server.clock.freeze()
        elif command.freeze is False:
            server.clock.unfreeze()
        if command.advance:
            server.clock.advance(command.advance)
        return JSONResponse({"now": server.clock.now(), "frozen": server.clock.frozen})

    async def telemetry(request: Request) -> Response:
        return await control_telemetry(server, request)

    async def faults_get(request: Request) -> Response:
        return JSONResponse(server.faults.status())

    async def faults_put(request: Request) -> Response:
        try:
            plan = await _plan_body(request)
        except ValueError as exc:
            return _problem(400, str(exc))
        server.faults.load(plan)
        return JSONResponse(server.faults.status())

    async def faults_delete(request: Request) -> Response:
        server.faults.clear()
        return JSONResponse(server.faults.status())

    async def state(request: Request) -> Response:
        return JSONResponse(
            {
                "sessions": [
                    {
                        "session_id": s.session_id,
                        "finished": s.finish_reason,
                        "training_runs": s.training_run_ids,
                        "samplers": s.sampler_ids,
                    }
                    for s in server.state.sessions.values()
                ],
                "futures": [
                    {
                        "request_id": f.request_id,
                        "request_type": f.request_type,
                        "state": f.state.value,
                        "polls": f.polls,
                    }
                    for f in server.state.futures
                ],
            }
        )

    token = server.config.control_token

    def g(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[..., Any]:
        return _guarded(endpoint, token)

    return [
        Route(f"{CONTROL_PREFIX}/health", g(health), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/reset", g(reset), methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/journal", g(journal), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/clock", g(clock), methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/state", g(state), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/telemetry", g(telemetry), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/faults", g(faults_get), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/faults", g(faults_put), methods=["PUT", "POST"]),
        Route(f"{CONTROL_PREFIX}/faults", g(faults_delete), methods=["DELETE"]),
    ]
