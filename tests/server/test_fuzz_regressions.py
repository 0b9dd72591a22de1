"""Defects the property and schema fuzzers found, each pinned by the input that found it (in-process ASGI)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server.app import MockServer

HEADERS = {"X-API-Key": "tml-fuzz-regressions"}


def _forward(tensor: dict[str, Any]) -> dict[str, Any]:
    datum = {
        "model_input": {"chunks": [{"type": "encoded_text", "tokens": [1, 2]}]},
        "loss_fn_inputs": {"target_tokens": tensor},
    }
    return {"model_id": "s:train:0", "seq_id": 1, "forward_input": {"loss_fn": "cross_entropy", "data": [datum]}}


@pytest.mark.parametrize(
    ("tensor", "named"),
    [
        ({"data": [1], "dtype": "int64", "sparse_crow_indices": [0, 10**30], "sparse_col_indices": [0]}, "sparse_crow"),
        (
            {"data": [1], "dtype": "int64", "sparse_crow_indices": [0, 1], "sparse_col_indices": [-(10**30)]},
            "sparse_col",
        ),
        ({"data": [1], "dtype": "int64", "shape": [10**30]}, "dimension larger than"),
    ],
    ids=["crow-index", "col-index", "shape"],
)
def test_oversized_json_tensor_integers_found_by_schemathesis(tensor: dict[str, Any], named: str) -> None:
    """schemathesis sent JSON tensors whose CSR indices or shape did not fit int64: the server answered 500
    (OverflowError while converting them). They are malformed tensors: 400 naming the field."""
    with TestClient(MockServer().app) as client:
        answer = client.post("/api/v1/forward", headers=HEADERS, json=_forward(tensor))
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "malformed-tensor"
        assert "loss_fn_inputs[target_tokens]" in answer.json()["detail"] and named in answer.json()["detail"]
        assert client.get("/api/v1/healthz").status_code == 200
