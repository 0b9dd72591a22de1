"""Errors the server answers with, and the JSON body every error carries (protocol reference §15).

Every error answer is JSON with a ``detail`` string the official CLI can print (§15.1), a stable
kebab-case ``code``, and the exchange it belongs to: ``method``, ``path``, the server's
``request_id`` for this HTTP request (also sent as the ``x-request-id`` header) and the
``session_id`` when one is known. Responses always carry an explicit ``Content-Length`` and a
non-empty body: the SDK treats a 400 without one as a Cloudflare reject (§1.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse

__all__ = ["ApiError", "error_response", "validation_error"]


class ApiError(Exception):
    """An error answer: raise it from any handler; the app turns it into a JSON response."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @classmethod
    def not_found(cls, what: str, ident: str) -> ApiError:
        """404 for an unknown or foreign resource (one key never learns another key's ids exist)."""
        return cls(404, f"{what.replace(' ', '-')}-not-found", f"{what} {ident!r} not found")

    @classmethod
    def bad_request(cls, code: str, detail: str) -> ApiError:
        return cls(400, code, detail)


def validation_error(where: str, exc: ValidationError) -> ApiError:
    """422 naming every invalid field of a request body or query string."""
    problems = [
        {
            "loc": ".".join(str(part) for part in err["loc"]) or "(body)",
            "msg": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
    summary = "; ".join(f"{p['loc']}: {p['msg']}" for p in problems[:5])
    more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
    return ApiError(422, "invalid-body", f"invalid {where}: {summary}{more}", extra={"errors": problems})


def error_response(error: ApiError, *, method: str, path: str, request_id: str, session_id: str | None) -> JSONResponse:
    body: dict[str, Any] = {
        "detail": error.detail,
        "code": error.code,
        "method": method,
        "path": path,
        "request_id": request_id,
    }
    if session_id is not None:
        body["session_id"] = session_id
    body.update(error.extra)
    return JSONResponse(body, status_code=error.status, headers=error.headers)
