"""Signed downloads served by the mock (protocol reference §13, §16 item 11; versions §7).

``/_harness/files/<path>?expires=&signature=`` needs no API key, like a signed cloud-storage URL:
the signature is the credential. Paths are ``<run>/<kind>/<name>/<file>`` for checkpoint exports
and archives, and ``traces/<session>.pftrace`` for trace exports (Chrome trace-event JSON, which
Perfetto opens). Responses carry ``Content-Length``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mock_server.errors import ApiError, error_response
from mock_server.exports import ARCHIVE_NAME, archive_bytes, export_files

if TYPE_CHECKING:
    from mock_server.app import MockServer

__all__ = ["serve_file"]


def _trace(server: MockServer, session_id: str) -> bytes:
    events = [
        {
            "name": f"{e.method} {e.path}",
            "cat": e.endpoint or "http",
            "ph": "X",
            "pid": 1,
            "tid": 1,
            "ts": int(e.timestamp * 1e6),
            "dur": max(int(e.duration_ms * 1000), 1),
            "args": {"status": e.status, "request_id": e.http_request_id},
        }
        for e in server.journal.entries(session_id=session_id)
    ]
    return json.dumps({"traceEvents": events, "displayTimeUnit": "ms"}).encode()


def _content(server: MockServer, path: str) -> tuple[bytes, str]:
    if path.startswith("traces/") and path.endswith(".pftrace"):
        return _trace(server, path[len("traces/") : -len(".pftrace")]), "application/json"
    parts = path.rsplit("/", 3)
    if len(parts) != 4:
        raise ApiError(404, "file-not-found", f"no file at {path!r}")
    run_id, kind, name, filename = parts
    record = server.state.checkpoints.get((run_id, f"{kind}/{name}"))
    if record is None or record.expired(server.clock.now()):
        raise ApiError(404, "file-not-found", f"the checkpoint behind {path!r} no longer exists")
    if filename == ARCHIVE_NAME:
        return archive_bytes(record, record.created_at), "application/gzip"
    files = export_files(record)
    if filename not in files:
        raise ApiError(404, "file-not-found", f"{filename!r} is not part of {record.tinker_path}")
    return files[filename], "application/octet-stream"


async def serve_file(server: MockServer, request: Request) -> Response:
    path = request.path_params["path"]
    http_id = server.ids.http_request_id()
    try:
        server.signer.verify(
            path, request.query_params.get("expires"), request.query_params.get("signature"), now=server.clock.now()
        )
        content, media_type = _content(server, path)
    except ApiError as error:
        response: JSONResponse = error_response(
            error, method=request.method, path=request.url.path, request_id=http_id, session_id=None
        )
        response.headers["x-request-id"] = http_id
        return response
    return Response(content, media_type=media_type, headers={"x-request-id": http_id})
