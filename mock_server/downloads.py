"""Signed download URLs for checkpoints, and the legacy archive flow (protocol reference §13,
§16 item 11; versions §7 and §10 item 10).

Every URL the mock hands out for a download is served by the mock itself under
``/_harness/files/`` and signed with HMAC-SHA256 (:mod:`mock_server.signed_urls`) for
``ServerConfig.signed_url_ttl_seconds`` clock seconds. ``GET …/checkpoints/{ckpt}/archive``
(SDK 0.15-0.30) answers, per ``ServerConfig.archive_answer``:

* ``"redirect"`` (default; every legacy SDK accepts it): **302** with ``Location: <signed URL>``
  and an RFC 1123 ``Expires`` header;
* ``"json"`` (only SDK 0.30.4 accepts it): **200** ``{"url", "expires"}``.

While an archive is "being prepared" the endpoint answers **503** with ``Retry-After`` (seconds,
``archive_retry_after_seconds``; the SDKs' Stainless layer honours values in (0, 60]) and the
same in ``retry-after-ms``. Preparation lasts ``archive_not_ready_polls`` requests and/or
``archive_not_ready_seconds`` clock seconds from the first request, per checkpoint; both default
to 0 (ready at once). The 503 is a configured condition, so its journal entry carries it as the
exchange's ``fault`` rather than as a contract violation.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from starlette.responses import RedirectResponse, Response

from tinker_harness.contracts._checkpoints import CheckpointArchiveUrlResponse
from tinker_harness.mock_server.calls import Call, ok
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.exports import ARCHIVE_NAME
from tinker_harness.mock_server.rest_views import timestamp
from tinker_harness.mock_server.state import CheckpointRecord

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["archive_answer", "checkpoint_file_url", "url_expiry"]


def url_expiry(server: MockServer) -> float:
    return server.clock.now() + server.config.signed_url_ttl_seconds


def checkpoint_file_url(server: MockServer, record: CheckpointRecord, filename: str, expires: float) -> str:
    """A signed URL for one file of a checkpoint's download (``<run>/<kind>/<name>/<file>``)."""
    return server.signer.sign(server.public_url, f"{record.run_id}/{record.checkpoint_id}/{filename}", expires)


def _simulated(call: Call, description: str) -> None:
    """Name a deliberately configured answer in the journal entry of this exchange."""
    call.exchange.simulated(description)


def _still_preparing(server: MockServer, record: CheckpointRecord) -> bool:
    config = server.config
    now = server.clock.now()
    if record.archive_requested_at is None:
        record.archive_requested_at = now
    record.archive_polls += 1
    polls_left = record.archive_polls <= config.archive_not_ready_polls
    time_left = now - record.archive_requested_at < config.archive_not_ready_seconds
    return polls_left or time_left


def archive_answer(call: Call, record: CheckpointRecord) -> Response:
    """503 while the archive is prepared, then a 302 to (or JSON naming) its signed URL."""
    server = call.server
    config = server.config
    if _still_preparing(server, record):
        retry_after = config.archive_retry_after_seconds
        _simulated(call, f"archive not ready (poll {record.archive_polls}; configured archive_not_ready_*)")
        raise ApiError(
            503,
            "archive-not-ready",
            f"the archive of {record.tinker_path} is being prepared; retry in {retry_after:g} s",
            headers={"Retry-After": str(max(1, math.ceil(retry_after))), "retry-after-ms": f"{retry_after * 1000:.0f}"},
        )
    expires = url_expiry(server)
    url = checkpoint_file_url(server, record, ARCHIVE_NAME, expires)
    if config.archive_answer == "json":
        return ok(CheckpointArchiveUrlResponse(url=url, expires=timestamp(expires)))
    expires_header = timestamp(expires).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return RedirectResponse(url, status_code=302, headers={"Expires": expires_header})
