"""HTTP handlers, one module per area of the Tinker API, plus the harness's own routes.

Importing this package registers every Tinker handler (``mock_server.calls.HANDLERS``);
:func:`harness_routes` adds the routes under ``/_harness/`` (signed downloads, the control API).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tinker_harness.contracts.openapi import build_openapi
from tinker_harness.mock_server import control
from tinker_harness.mock_server.routes import (
    admin,
    checkpoints,
    futures,
    sampling,
    service,
    sessions,
    training,
    weights,
)
from tinker_harness.mock_server.routes.files import serve_file

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["harness_routes"]

_HANDLER_MODULES = (admin, checkpoints, futures, sampling, service, sessions, training, weights)


def harness_routes(server: MockServer) -> list[BaseRoute]:
    async def files(request: Request) -> Response:
        return await serve_file(server, request)

    async def openapi(request: Request) -> Response:
        return JSONResponse(build_openapi(server.public_url))

    return [
        Route("/_harness/files/{path:path}", files, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        *control.routes(server),
    ]
