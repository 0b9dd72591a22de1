"""The OpenAPI 3.1 document generated from the catalogue (validated with openapi-spec-validator)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tinker_harness.contracts.catalogue import CATALOGUE
from tinker_harness.contracts.openapi import build_openapi
from tinker_harness.mock_server.local import MockTinker


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


def _rule_branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The branches of a component's exactly-one / at-least-one / both-or-neither rules (contracts._schema_rules)."""
    found: list[dict[str, Any]] = []
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword, []):
            found += [branch] if "properties" in branch else _rule_branches(branch)
    return found


def test_each_rule_branch_states_its_properties_type_found_by_schemathesis() -> None:
    """schemathesis drew ``"target_prompt_logprobs": {"sparse_crow_indices": "model_input", …}`` as valid
    data: TensorData's both-or-neither rule said only ``not null`` for the index lists, and the generator
    took that branch alone for the property's schema. Each rule branch now restates the property's own
    non-null schema, so the branch by itself refuses a value of the wrong type."""
    components = build_openapi()["components"]["schemas"]
    branches = {name: _rule_branches(schema) for name, schema in components.items()}
    assert {"TensorData", "SampleRequest", "LoadWeightsRequest", "OptimStepRequest"} <= {
        n for n, b in branches.items() if b
    }
    for name, found in branches.items():
        for branch in found:
            assert branch.get("type") == "object", (name, branch)
            for prop, prop_schema in branch["properties"].items():
                assert "not" not in prop_schema, (name, prop, branch)
    crow_given = next(b for b in _rule_branches(components["TensorData"]) if "required" in b)
    given = {"sparse_crow_indices": "model_input", "sparse_col_indices": [0]}
    assert not Draft202012Validator(crow_given).is_valid(given)
    assert Draft202012Validator(crow_given).is_valid({**given, "sparse_crow_indices": [0, 1]})


VALUE_KEYWORDS = {"pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "format", "minLength"}


def test_an_optional_fields_constraints_sit_on_its_value_type_found_by_schemathesis() -> None:
    """With a large budget schemathesis drew ``"model_path": "session_heartbeat"`` as valid data for
    ``asample``: the tinker-path ``pattern`` stood beside the field's ``anyOf [string, null]``, and the
    generator read only the ``anyOf``. Constraints of an optional field now sit on its non-null member."""
    components = build_openapi()["components"]["schemas"]
    beside = [
        (name, prop, sorted(VALUE_KEYWORDS & set(schema)))
        for name, component in components.items()
        for prop, schema in component.get("properties", {}).items()
        if "anyOf" in schema and VALUE_KEYWORDS & set(schema)
    ]
    assert beside == []
    model_path = components["SampleRequest"]["properties"]["model_path"]
    assert not Draft202012Validator(model_path).is_valid("session_heartbeat")
    assert Draft202012Validator(model_path).is_valid("tinker://run-1/sampler_weights/final")
    assert Draft202012Validator(model_path).is_valid(None)
    ttl = components["SaveWeightsRequest"]["properties"]["ttl_seconds"]
    assert not Draft202012Validator(ttl).is_valid(0) and Draft202012Validator(ttl).is_valid(None)
