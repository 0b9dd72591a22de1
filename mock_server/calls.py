"""One incoming API call as handlers see it, and the registry of handlers by endpoint name.

Handlers are ``async def handler(call: Call) -> Response`` registered with ``@handles("name")``
where ``name`` is a :data:`contracts.CATALOGUE` entry; the app refuses to start if an endpoint of
the catalogue has no handler. Bodies are parsed with the contract models of the catalogue: bad
JSON is a 400 and a body that breaks the contract a 422, both naming the problem.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tinker_harness.contracts._base import WireModel
from tinker_harness.contracts.catalogue import Endpoint
from tinker_harness.contracts.request_json import JsonTooDeepError, load_json, validate_request_json
from tinker_harness.mock_server.errors import ApiError, validation_error
from tinker_harness.mock_server.exchange import ExchangeRecord

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["HANDLERS", "Call", "Handler", "empty_ok", "handles", "ok"]

M = TypeVar("M", bound=BaseModel)


@dataclass
class Call:
    request: Request
    server: MockServer
    endpoint: Endpoint
    owner: str
    path_params: dict[str, str]
    http_request_id: str
    body: bytes
    exchange: ExchangeRecord  # what the journal will hold of this exchange (handlers fill in futures, notes)
    # Filled in by handlers; the journal and error bodies read it.
    session_id: str | None = None

    @property
    def notes(self) -> dict[str, Any]:
        """Free-form notes for this exchange's journal entry."""
        return self.exchange.notes

    @property
    def where(self) -> str:
        return f"{self.endpoint.method} {self.request.url.path}"

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    def json_body(self) -> Any:
        if not self.body:
            raise ApiError.bad_request("empty-body", f"{self.where} needs a JSON body")
        try:
            return load_json(self.body)
        except JsonTooDeepError as exc:
            raise ApiError.bad_request("json-too-deep", f"request body of {self.where}: {exc}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError.bad_request(
                "malformed-json", f"request body of {self.where} is not valid JSON: {exc}"
            ) from None

    def parse(self, model: type[M]) -> M:
        """The JSON body validated against a contract model (400 bad JSON, 422 contract violation).

        Strictly typed, as :func:`contracts.request_json.validate_request_json` says.
        """
        if not self.body:
            raise ApiError.bad_request("empty-body", f"{self.where} needs a JSON body")
        try:
            return validate_request_json(model, self.body)
        except JsonTooDeepError as exc:
            raise ApiError.bad_request("json-too-deep", f"request body of {self.where}: {exc}") from None
        except ValidationError as exc:
            body = self.json_body()  # a body that is not JSON is a 400 naming the parse error
            if not isinstance(body, dict):
                raise ApiError(
                    422, "invalid-body", f"body of {self.where} must be a JSON object, got {type(body).__name__}"
                ) from None
            raise validation_error(f"body of {self.where}", exc) from None

    def query(self, model: type[M]) -> M:
        try:
            return model.model_validate(dict(self.request.query_params))
        except ValidationError as exc:
            raise validation_error(f"query string of {self.where}", exc) from None


Handler = Callable[[Call], Awaitable[Response]]
HANDLERS: dict[str, Handler] = {}


def handles(name: str) -> Callable[[Handler], Handler]:
    """Register a handler for the catalogue endpoint ``name``."""

    def register(handler: Handler) -> Handler:
        if name in HANDLERS:
            raise RuntimeError(f"two handlers registered for endpoint {name!r}")
        HANDLERS[name] = handler
        return handler

    return register


def ok(model: WireModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.to_wire(), status_code=status)


def empty_ok() -> JSONResponse:
    """2xx for endpoints whose body the SDK ignores (finish, delete, publish, ttl)."""
    return JSONResponse({})
