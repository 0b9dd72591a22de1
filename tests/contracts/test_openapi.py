"""The OpenAPI 3.1 document generated from the catalogue (validated with openapi-spec-validator)."""

from __future__ import annotations

import json

import httpx
from openapi_spec_validator import validate

from contracts.catalogue import CATALOGUE
from contracts.openapi import build_openapi
from mock_server.pytest_plugin import MockTinker


def test_document_is_valid_openapi_3_1() -> None:
    document = build_openapi()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any schema error


def test_every_catalogue_endpoint_is_documented_once() -> None:
    document = build_openapi()
    operations = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    expected = {(e.path, e.method) for e in CATALOGUE}
    assert expected <= operations
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_protobuf_bodies_are_described_as_such() -> None:
    op = build_openapi()["paths"]["/api/v1/forward_backward"]["post"]
    assert "application/x-protobuf" in op["requestBody"]["content"]
    retrieve = build_openapi()["paths"]["/api/v1/retrieve_future"]["post"]["responses"]["200"]["content"]
    assert set(retrieve) == {"application/json", "application/x-protobuf"}


def test_server_serves_the_same_document(tinker_mock: MockTinker) -> None:
    served = httpx.get(f"{tinker_mock.base_url}/openapi.json").json()
    assert served == json.loads(json.dumps(build_openapi(tinker_mock.base_url)))
