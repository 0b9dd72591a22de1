"""The OpenAPI 3.1 document of the Tinker API, generated from the catalogue and the models.

``build_openapi()`` walks :data:`contracts.catalogue.CATALOGUE`: request bodies use the models'
validation schemas, responses their serialization schemas (pydantic's two JSON-schema modes),
protobuf bodies are described as ``application/x-protobuf`` with the message name, and every error
answer shares one ``ErrorBody`` schema; 200 answers carry the OpenAPI links of
:mod:`contracts.openapi_links`. ``tinker-harness openapi`` prints it; the mock serves it at
``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from tinker_harness.contracts import _futures as fut
from tinker_harness.contracts.catalogue import CATALOGUE, Endpoint
from tinker_harness.contracts.openapi_links import links_for

__all__ = ["ErrorBody", "build_openapi"]

REF = "#/components/schemas/{model}"
Refs = Mapping[tuple[Any, JsonSchemaMode], dict[str, Any]]
PROTOBUF = "application/x-protobuf"


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the mock: a ``detail`` the SDK's CLI prints, plus the exchange."""

    model_config = ConfigDict(extra="allow")

    detail: str
    code: str
    method: str
    path: str
    request_id: str
    session_id: str | None = None


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    pairs: dict[tuple[str, str], tuple[type[BaseModel], JsonSchemaMode]] = {}

    def add(model: type[BaseModel] | None, mode: JsonSchemaMode) -> None:
        if model is not None:
            pairs[(model.__name__, mode)] = (model, mode)

    for ep in CATALOGUE:
        add(ep.request, "validation")
        add(ep.response, "serialization")
        add(ep.future_result, "serialization")
    for model in (fut.TryAgainResponse, fut.CompleteMetadataResponse, fut.RequestFailedResponse, ErrorBody):
        add(model, "serialization")
    return sorted(pairs.values(), key=lambda p: (p[0].__name__, p[1]))


def _ref(refs: Refs, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
    return dict(refs[(model, mode)])


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _protobuf(message: str) -> dict[str, Any]:
    return {
        PROTOBUF: {"schema": {"type": "string", "format": "binary", "description": f"protobuf tinker_public.{message}"}}
    }


def _parameters(ep: Endpoint) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in ep.params:
        schema: dict[str, Any] = {"type": "string"}
        description = f"The {name.replace('_', ' ')}."
        if name in ep.slash_params:
            schema["pattern"] = r"^(weights|sampler_weights|external_weights)/[^/]+$"
            description += " Contains one '/' and is sent unescaped: `<kind>/<name>`."
        params.append({"name": name, "in": "path", "required": True, "schema": schema, "description": description})
    if ep.query is not None:
        query_schema = ep.query.model_json_schema()
        required = set(query_schema.get("required", []))
        for name, prop in query_schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return params


def _operation(ep: Endpoint, refs: Refs) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": ep.name,
        "summary": ep.summary,
        "description": f"Protocol reference {ep.section}.",
        "tags": list(ep.tags),
    }
    if ep.name != "healthz":
        op["security"] = [{"ApiKey": []}]
    params = _parameters(ep)
    if params:
        op["parameters"] = params
    if ep.request_encoding == "protobuf" and ep.proto_request is not None:
        op["requestBody"] = {"required": True, "content": _protobuf(ep.proto_request.__name__)}
    elif ep.request is not None:
        op["requestBody"] = {"required": True, "content": _json(_ref(refs, ep.request, "validation"))}
    error = {"description": "Error with a `detail`", "content": _json(_ref(refs, ErrorBody, "serialization"))}
    responses: dict[str, Any] = {"4XX": error, "5XX": error}
    if ep.name == "retrieve_future":
        results = [m for m in {e.future_result for e in CATALOGUE if e.future_result is not None}]
        one_of = [_ref(refs, m, "serialization") for m in sorted(results, key=lambda m: m.__name__)]
        one_of += [
            _ref(refs, m, "serialization")
            for m in (fut.TryAgainResponse, fut.CompleteMetadataResponse, fut.RequestFailedResponse)
        ]
        content = _json({"anyOf": one_of})
        content.update(_protobuf("ForwardBackwardOutput | tinker_public.SampleResponse"))
        responses["200"] = {"description": "A result, a retry hint, or a failure", "content": content}
    elif ep.name == "checkpoint_archive":
        responses["302"] = {
            "description": "Redirect to a signed download URL",
            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
        }
    elif ep.response is not None:
        described = "A future to poll with retrieve_future" if ep.returns_future else "OK"
        responses["200"] = {"description": described, "content": _json(_ref(refs, ep.response, "serialization"))}
    else:
        responses["200"] = {"description": "OK (the SDK ignores the body)", "content": _json({"type": "object"})}
    links = links_for(ep.name)
    if links and "200" in responses:
        responses["200"]["links"] = links
    op["responses"] = responses
    return op


def build_openapi(
    server_url: str = "http://127.0.0.1:4010", title: str = "Tinker API (tinker-harness)"
) -> dict[str, Any]:
    """The OpenAPI 3.1 document as a JSON-ready dict."""
    refs, definitions = models_json_schema(_models(), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for ep in CATALOGUE:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep, refs)
    paths["/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "tags": ["harness"],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": _json({"type": "object"})}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": "0.38.0",
            "description": "The wire protocol of the official tinker SDK 0.38.0 as served by tinker-harness.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
    }
