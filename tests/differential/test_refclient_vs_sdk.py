"""Differential test: the reference client and the official SDK put the same requests on the wire (§20).

For each flow both clients run against a fresh mock with the same seed; their journals must show
the same endpoint sequence, the same request bodies and the same protocol headers, modulo ids and
the documented differences of :data:`wire_compare.ALLOWED`. The flows' results (losses, sampled
tokens, logprobs) must be equal too: the mock is deterministic, so any wire difference that
mattered would show there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
import twin_flows as flows
from wire_compare import ALLOWED, compare

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.local import MockTinker

pytestmark = pytest.mark.sdk

Flow = Callable[[str, str], dict[str, Any]]
# flow name -> (SDK flow, reference-client flow, the allow-list entries its journals need)
FLOWS: dict[str, tuple[Flow, Flow, set[str]]] = {
    "train-sample-rest": (flows.sdk_training, flows.reference_training, {"telemetry", "rest_holder_bootstrap"}),
    "restore-forward-logprobs": (flows.sdk_restore, flows.reference_restore, {"telemetry"}),
}
CONFIG = ServerConfig(client_config={"pjwt_auth_enabled": False})


def run(flow: Flow, start: Callable[..., MockTinker]) -> tuple[dict[str, Any], list[JournalEntry]]:
    mock = start(CONFIG)
    result = flow(mock.base_url, mock.api_key)
    return result, mock.journal.entries()


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_same_requests_and_results(name: str, sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_flow, reference_flow, needed = FLOWS[name]
    sdk_result, sdk_journal = run(sdk_flow, sdk_mock)
    reference_result, reference_journal = run(reference_flow, sdk_mock)
    assert reference_result == sdk_result

    comparison = compare(sdk_journal, reference_journal)
    assert comparison.differences() == []
    assert len(comparison.sdk) >= 15, "the flow must put real traffic on the wire"
    assert comparison.fired == needed, "the allow-list entries this flow needs, and no others"


def test_every_allow_list_entry_is_needed_by_some_flow() -> None:
    assert set().union(*(needed for _, _, needed in FLOWS.values())) == set(ALLOWED)


def test_a_renamed_body_field_is_a_difference(sdk_mock: Callable[..., MockTinker]) -> None:
    _, journal = run(flows.reference_restore, sdk_mock)
    assert compare(journal, journal).differences() == []
    index = next(i for i, e in enumerate(journal) if e.endpoint == "save_weights")
    body = dict(journal[index].request_body)
    body["name"] = body.pop("path")
    mutated = [*journal[:index], dataclasses.replace(journal[index], request_body=body), *journal[index + 1 :]]
    (difference,) = compare(journal, mutated).differences()
    assert difference.startswith(f"#{index} save_weights")
    assert '"name": "resume-here"' in difference and '"path": "resume-here"' in difference


def test_a_missing_call_is_a_difference(sdk_mock: Callable[..., MockTinker]) -> None:
    _, journal = run(flows.reference_restore, sdk_mock)
    without_info = [e for e in journal if e.endpoint != "get_info"]
    assert any(d.startswith("endpoint order") for d in compare(journal, without_info).differences())
