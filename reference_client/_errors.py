"""Every error the reference client raises (protocol reference §15, §6.2-§6.3).

The tree::

    ReferenceClientError                 base; carries method, path, status, request_id, session_id
    ├── ConfigurationError               no usable base URL or API key (raised before any request)
    ├── ConnectionFailed                 no HTTP response (refused, reset, timed out), or a proxy's empty 400
    ├── APIStatusError                   the server answered non-2xx; .body, .detail, .code from the JSON error
    │   ├── BadRequest                   400
    │   ├── AuthenticationFailed         401
    │   ├── BillingRequired              402
    │   ├── PermissionDenied             403
    │   ├── NotFound                     404
    │   ├── Conflict                     409
    │   ├── Gone                         410 (a finished session, an expired promise)
    │   ├── UnprocessableEntity          422
    │   ├── RateLimited                  429
    │   └── ServerError                  500-599
    ├── FutureError                      a future could not be resolved; .future_id
    │   ├── RequestFailed                the server ran the request and failed it: .category, .error
    │   ├── FutureExpired                retrieve_future answered 410: submit the request again
    │   └── FuturePollFailed             a fatal poll status, or the 400 budget is spent
    └── ProtocolError                    an answer that breaks the contract (bad JSON, bad protobuf, bad shape)

``method``/``path``/``status``/``request_id`` describe the HTTP exchange that produced the error:
``request_id`` is the server's ``x-request-id`` for that exchange (not a future id), so it can be
looked up in the mock server's journal. ``session_id`` is the client's session, when it has one.
Any of them is ``None`` when there was no such exchange (e.g. a ``ConfigurationError``).
"""

from __future__ import annotations

from typing import Any

from tinker_harness.contracts import RequestErrorCategory

__all__ = [
    "APIStatusError",
    "AuthenticationFailed",
    "BadRequest",
    "BillingRequired",
    "ConfigurationError",
    "Conflict",
    "ConnectionFailed",
    "FutureError",
    "FutureExpired",
    "FuturePollFailed",
    "Gone",
    "NotFound",
    "PermissionDenied",
    "ProtocolError",
    "RateLimited",
    "ReferenceClientError",
    "RequestFailed",
    "ServerError",
    "UnprocessableEntity",
    "status_error_class",
]


class ReferenceClientError(Exception):
    """Base class: a message plus the exchange it came from."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        session_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.request_id = request_id
        self.session_id = session_id

    def __str__(self) -> str:
        where = [f"{self.method} {self.path}"] if self.method and self.path else []
        where += [f"status={self.status}"] if self.status is not None else []
        where += [f"request_id={self.request_id}"] if self.request_id else []
        where += [f"session_id={self.session_id}"] if self.session_id else []
        return f"{self.message} ({', '.join(where)})" if where else self.message


class ConfigurationError(ReferenceClientError):
    """The client cannot start: a missing or malformed API key or base URL."""


class ConnectionFailed(ReferenceClientError):
    """No HTTP response (refused, reset or timed out on every attempt), or a proxy's empty 400 (§1.1).

    For the empty 400, ``status`` is 400 and ``request_id`` names the exchange; otherwise both are None.
    """


class APIStatusError(ReferenceClientError):
    """The server answered with a non-2xx status; ``detail`` and ``code`` come from its JSON error body."""

    def __init__(self, message: str, *, body: Any = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.body = body
        self.detail: str | None = body.get("detail") if isinstance(body, dict) else None
        self.code: str | None = body.get("code") if isinstance(body, dict) else None


class BadRequest(APIStatusError):
    """400: the request was malformed or refused (not retried)."""


class AuthenticationFailed(APIStatusError):
    """401: the API key (or JWT) was missing, unknown or expired."""


class BillingRequired(APIStatusError):
    """402: the account's billing paused the work for longer than the server allows."""


class PermissionDenied(APIStatusError):
    """403: the key may not touch this resource."""


class NotFound(APIStatusError):
    """404: no such resource for this key (a foreign id looks the same as a missing one)."""


class Conflict(APIStatusError):
    """409: the resource is not in a state that allows the call (retried before it surfaces)."""


class Gone(APIStatusError):
    """410: the session has finished or the promise has expired."""


class UnprocessableEntity(APIStatusError):
    """422: the body broke the server's contract; ``body["errors"]`` names the fields."""


class RateLimited(APIStatusError):
    """429: too many requests (retried, honouring Retry-After, before it surfaces)."""


class ServerError(APIStatusError):
    """5xx: the server failed (retried before it surfaces)."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    402: BillingRequired,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: UnprocessableEntity,
    429: RateLimited,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The ``APIStatusError`` subclass for an HTTP status (§15.1)."""
    if status >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status, APIStatusError)


class FutureError(ReferenceClientError):
    """A future (``request_id`` of a submit answer) could not be turned into a result."""

    def __init__(self, message: str, *, future_id: str, **context: Any) -> None:
        super().__init__(message, **context)
        self.future_id = future_id


class RequestFailed(FutureError):
    """The request ran and failed: ``retrieve_future`` answered ``{"error", "category"}`` (§6.2 item 4)."""

    def __init__(self, message: str, *, error: str, category: RequestErrorCategory, **context: Any) -> None:
        super().__init__(message, **context)
        self.error = error
        self.category: RequestErrorCategory = category


class FutureExpired(FutureError):
    """``retrieve_future`` answered 410: the promise is gone; only a new submission can help (§6.3)."""


class FuturePollFailed(FutureError):
    """Polling stopped on a fatal status (401/403/404/409/422…) or after 3 bad requests (§6.3)."""


class ProtocolError(ReferenceClientError):
    """The server's answer breaks the contract: not JSON, not the expected model or protobuf message."""
