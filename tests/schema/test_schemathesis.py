"""Schemathesis against the mock's own OpenAPI document, in-process over ASGI.

Every check schemathesis 4.32 runs by default (``not_a_server_error``, ``status_code_conformance``,
``content_type_conformance``, ``response_headers_conformance``, ``response_schema_conformance``,
``negative_data_rejection``, ``positive_data_acceptance``, ``missing_required_header``,
``unsupported_method``, ``allow_header_conformance``, ``use_after_free``,
``ensure_resource_availability``, ``ignored_auth``, ``object_level_authorization``) runs on the
examples, coverage and fuzzing phases in positive and negative mode, then as a state machine that
follows the document's OpenAPI links (``contracts.openapi``). ``positive_data_acceptance`` runs
through ``positive_data_acceptance_beyond_state`` (``schema_support``), which forgives only the
named 4xx answers to bodies that clash with server state. ``errors_are_json_with_detail`` adds our
own rule: every error answer is JSON with a ``detail``.

Each operation gets a fresh mock, and each stateful scenario starts from an empty one: one
operation revoking the API key (``DELETE /api/v1/auth/apikey/me``) must not turn every later call
into a 401 that proves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schema_support import PLAN, fuzz_config, keep_reproducer, new_server
from schemathesis import Case

from tinker_harness.mock_server.app import MockServer

_loader = new_server()
schema = schemathesis.openapi.from_asgi("/openapi.json", _loader.app, config=fuzz_config())

# Fuzzing stays in the schema's own generation; the suite-wide Hypothesis profile would fix the seed.
FUZZ_SETTINGS = settings(
    max_examples=PLAN.examples, deadline=None, derandomize=False, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def mocks() -> Iterator[dict[str, MockServer]]:
    yield {}


@schema.parametrize()
@FUZZ_SETTINGS
def test_operation_conforms(case: Case, mocks: dict[str, MockServer]) -> None:
    server = mocks.setdefault(case.operation.label, new_server())
    with keep_reproducer(case.operation.label):
        case.call_and_validate(app=server.app)


class _Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Scenarios of linked calls, each on an empty mock."""

    server = new_server()

    def setup(self) -> None:
        self.server.reset()

    def get_call_kwargs(self, case: Case) -> dict[str, Any]:
        return {"app": self.server.app}


TestLinkedWorkflows = _Workflow.TestCase
TestLinkedWorkflows.settings = settings(FUZZ_SETTINGS, max_examples=PLAN.examples * 4, stateful_step_count=12)
