"""The harness control API under ``/_harness/control/`` (no Tinker path starts with ``/_harness``).

Operations: reset state, read and filter the journal, freeze/advance the clock, load/inspect/clear
the fault plan (validated whole before any rule applies), read a session's telemetry, and list live
sessions and futures. The same operations exist in Python on :class:`mock_server.app.MockServer`
(``reset()``, ``journal``, ``clock``, ``faults``, ``state``). Bad input gets a 400 naming the problem.
"""

from __future__ import annotations

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


def routes(server: MockServer) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "journal_total": server.journal.total})

    async def reset(request: Request) -> Response:
        server.reset()
        return JSONResponse({"status": "reset"})

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
            detail = (
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                if isinstance(exc, ValidationError)
                else str(exc)
            )
            return _problem(400, f"invalid clock command: {detail}")
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
            plan = FaultPlan.parse(await _json_body(request), "request body")
        except (ValueError, FaultPlanError) as exc:
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

    return [
        Route(f"{CONTROL_PREFIX}/health", health, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/journal", journal, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/clock", clock, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/state", state, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/telemetry", telemetry, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/faults", faults_get, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/faults", faults_put, methods=["PUT", "POST"]),
        Route(f"{CONTROL_PREFIX}/faults", faults_delete, methods=["DELETE"]),
    ]
