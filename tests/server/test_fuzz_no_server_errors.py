"""Schemathesis fuzzes every operation of our OpenAPI document against the in-process app:
no input may produce a 5xx, and every error answer is JSON with a ``detail``.

Under ``nox -s fuzz`` (``TINKER_HARNESS_FUZZ_*``) the budget grows, the seed is random, and the last (shrunk)
failing request of an operation is written as a curl command to ``reports/output/fuzz/schemathesis-*.sh``;
replay it against ``tinker-harness serve`` after pointing its URL (``http://testserver``) at the server.
"""

from __future__ import annotations

import pytest
import schemathesis
from fuzzing import OUT, budget
from hypothesis import HealthCheck, seed, settings
from schemathesis import Case

from contracts.openapi import build_openapi
from mock_server.app import MockServer

server = MockServer()
PLAN = budget(examples=25)


@schemathesis.serializer("application/x-protobuf")
def _protobuf_bytes(ctx: object, value: object) -> bytes:
    """Fuzzed protobuf bodies are arbitrary bytes (mostly corrupt protobuf, which must get a 400)."""
    return value if isinstance(value, bytes) else str(value).encode()


schema = schemathesis.openapi.from_dict(build_openapi("http://testserver"))
schema.app = server.app  # type: ignore[attr-defined]


# SDK clients left over from other tests in this worker keep drawing from the global `random` (retry jitter) in
# their background threads; Hypothesis notices the global state moving during generation and warns.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
@schema.parametrize()
@settings(
    max_examples=PLAN.examples, deadline=None, derandomize=PLAN.seed is None, suppress_health_check=list(HealthCheck)
)
@(seed(PLAN.seed) if PLAN.seed is not None else lambda test: test)
def test_no_input_produces_a_server_error(case: Case) -> None:
    case.headers = {**(case.headers or {}), "X-API-Key": "tml-fuzz"}
    try:
        _check(case)
    except AssertionError:
        if PLAN.seed is not None:  # fuzz mode: keep a replayable request (hypothesis runs the shrunk one last)
            OUT.mkdir(parents=True, exist_ok=True)
            name = f"schemathesis-{PLAN.seed}-{case.method}-{case.path.strip('/').replace('/', '_')}.sh"
            (OUT / name).write_text(case.as_curl_command(headers={"X-API-Key": "tml-fuzz"}) + "\n")
        raise


def _check(case: Case) -> None:
    response = case.call(app=server.app)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:500]}"
    if response.status_code >= 400:
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type == "application/json", f"{case.method} {case.formatted_path}: {response.text[:200]}"
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("detail"), str), response.text
