"""Signed downloads served by the mock (protocol reference §5 rows 40 and 42, §13, §16 item 11; versions §7).

``/_harness/files/<path>?expires=&signature=`` needs no API key, like a signed cloud-storage URL:
the signature is the credential, and a tampered or expired one is a 403 with a JSON ``detail``.
Paths are

* ``<run>/<kind>/<name>/<file>``: a file of a checkpoint export, or ``archive.tar.gz`` (legacy
  archive, :mod:`mock_server.exports`); the checkpoint must still exist and be unexpired;
* ``traces/<session>.pftrace``: a session trace export (Chrome trace-event JSON, which Perfetto
  opens) of the session's journaled requests;
* ``audit/<owner>/<event_type>/<day>.json``: an audit log (``audit_redirect`` mode).

Responses carry ``Content-Length`` (the CLI's progress bars read it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tinker_harness.mock_server.audit import audit_log_for
from tinker_harness.mock_server.errors import ApiError, error_response
from tinker_harness.mock_server.exports import ARCHIVE_NAME, archive_bytes, export_files

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["audit_file_path", "serve_file"]


def audit_file_path(owner: str, event_type: str, day: str) -> str:
    return f"audit/{owner}/{event_type}/{day}.json"


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
            "args": {"status": e.status, "request_id": e.http_request_id, "sdk_method": e.sdk_method},
        }
        for e in server.journal.entries(session_id=session_id)
    ]
    metadata = {"session_id": session_id, "generator": "tinker-harness"}
    return json.dumps({"traceEvents": events, "displayTimeUnit": "ms", "metadata": metadata}).encode()


def _audit(server: MockServer, path: str) -> bytes:
    parts = path[: -len(".json")].split("/")
    if len(parts) != 4:
        raise ApiError(404, "file-not-found", f"no file at {path!r}")
    _, owner, event_type, day = parts
    log = audit_log_for(server, owner, event_type, day)
    return json.dumps(log.to_wire()).encode()


def _content(server: MockServer, path: str) -> tuple[bytes, str]:
    if path.startswith("traces/") and path.endswith(".pftrace"):
        return _trace(server, path[len("traces/") : -len(".pftrace")]), "application/json"
    if path.startswith("audit/") and path.endswith(".json"):
        return _audit(server, path), "application/json"
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
    filename = path.rsplit("/", 1)[-1]
    headers = {"x-request-id": http_id, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)
