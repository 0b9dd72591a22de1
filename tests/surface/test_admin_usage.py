"""Billing usage, storage usage, the audit log and API-key endpoints (protocol
reference §5 rows 42-46, §10 AdminClient).

Usage is derived from the work the mock really did: the token counts must match the requests
the SDK sent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import tinker
from sdk_support import SENTENCES, dataset, datum
from surface_support import ALICE, BASE_MODEL, BOB, admin, entries, frozen_clock, no_violations, rest, service
from tinker import types

from tinker_harness.mock_server.billing import RATES_USD_PER_MILLION_TOKENS
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.state_setup import add_checkpoint, add_run
from tinker_harness.mock_server.tokenizer import encode

pytestmark = pytest.mark.sdk


def test_billing_usage_counts_the_tokens_really_trained_and_sampled(sdk_mock: Callable[..., MockTinker]) -> None:
    clock = frozen_clock()
    mock = sdk_mock(clock=clock)
    client = service(mock, ALICE, user_metadata={"team": "billing"}, project_id="proj-bill")
    prompt = encode("The model")
    try:
        training = client.create_lora_training_client(base_model=BASE_MODEL, rank=4).result()
        training.forward_backward(dataset(), "cross_entropy").result()
        training.optim_step(types.AdamParams(learning_rate=0.01)).result()
        training.forward([datum(SENTENCES[0])], "cross_entropy").result()
        saved = training.save_state("billed").result().path
        sampling = training.save_weights_and_get_sampling_client().result()
        params = types.SamplingParams(max_tokens=5, seed=3)
        model_input = types.ModelInput.from_ints(prompt)
        sampled = sampling.sample(model_input, num_samples=2, sampling_params=params, include_prompt_logprobs=True)
        sequences = sampled.result().sequences
    finally:
        client.close("success").result()
    session_id = entries(mock, endpoint="create_session")[0].response_body["session_id"]
    trained_tokens = sum(len(encode(text)) - 1 for text in (*SENTENCES, SENTENCES[0]))
    expected = {
        "training": trained_tokens,
        "sampling_prefill": len(prompt),
        "sampling_sample": sum(len(s.tokens) for s in sequences),
        "checkpoint": 1,
    }

    now = datetime.fromtimestamp(clock.now(), tz=UTC)
    billing = admin(mock, ALICE)
    usage = billing.get_billing_usage(now - timedelta(hours=2), now + timedelta(hours=2)).result()
    totals: dict[str, int] = defaultdict(int)
    for bucket in usage.data:
        info = bucket.event_info
        totals[info.type] += info.count if info.type == "checkpoint" else info.token_count  # type: ignore[union-attr]
        assert bucket.bucket_end - bucket.bucket_start == timedelta(hours=1)
        assert bucket.bucket_start.timestamp() % 3600 == 0 and bucket.bucket_start <= now < bucket.bucket_end
        assert (bucket.session_id, bucket.project_id) == (session_id, "proj-bill")
        if info.type != "checkpoint":
            rate = RATES_USD_PER_MILLION_TOKENS[info.type]
            assert bucket.estimated_cost_usd == pytest.approx(info.token_count * rate / 1e6)  # type: ignore[union-attr]
    assert dict(totals) == expected
    assert [b.base_model for b in usage.data if b.event_info.type == "training"] == [BASE_MODEL]
    assert usage.sessions[session_id].user_metadata == {"team": "billing"}
    assert usage.cost_data_through is not None
    earlier = billing.get_billing_usage(now - timedelta(hours=5), now - timedelta(hours=2)).result()
    assert earlier.data == []
    assert admin(mock, BOB).get_billing_usage(now - timedelta(hours=2), now + timedelta(hours=2)).result().data == []
    query = entries(mock, endpoint="billing_usage")[0].query
    assert query.startswith("starting_on=") and "ending_before=" in query

    storage = billing.get_current_checkpoint_storage_usage().result()
    record = next(c for c in mock.server.state.checkpoints.values() if c.tinker_path == saved)
    assert [(i.project_id, i.checkpoint_count, i.size_bytes) for i in storage.data] == [
        ("proj-bill", 1, record.size_bytes)
    ]
    assert billing.get_current_checkpoint_storage_usage(project_id="elsewhere").result().data == []
    with httpx.Client(base_url=f"{mock.base_url}/api/v1", headers={"X-API-Key": ALICE}) as api:
        bad = api.get("/billing/usage/events", params={"starting_on": "yesterday", "ending_before": "today"})
        assert bad.status_code == 422 and "RFC 3339" in bad.json()["detail"]
    assert no_violations(mock) == []


@pytest.mark.parametrize("redirect", [False, True], ids=["json", "redirect"])
def test_audit_log_records_checkpoint_and_project_events(redirect: bool, sdk_mock: Callable[..., MockTinker]) -> None:
    clock = frozen_clock()
    mock = sdk_mock(ServerConfig(audit_redirect=redirect), clock=clock)
    run = add_run(mock.server, ALICE)
    path = add_checkpoint(mock.server, run, "weights", "audited").tinker_path
    alice = rest(mock, ALICE)
    alice.publish_checkpoint_from_tinker_path(path).result()
    alice.set_checkpoint_ttl_from_tinker_path(path, 86400).result()
    alice.unpublish_checkpoint_from_tinker_path(path).result()
    alice.delete_checkpoint_from_tinker_path(path).result()
    alice.assign_session_project(run.session_id, "proj-audit").result()

    log = admin(mock, ALICE)
    events = log.get_audit_log().result().entries
    assert [e.event for e in events] == [
        "checkpoint_created",
        "checkpoint_published",
        "checkpoint_ttl_set",
        "checkpoint_unpublished",
        "checkpoint_deleted",
        "project_session_assigned",
    ]
    assert {e.tinker_path for e in events[:5]} == {path} and events[2].event_details == {"ttl_seconds": 86400}
    assert events[5].event_details["project_id"] == "proj-audit"
    assert len(log.get_audit_log("checkpoints").result().entries) == 5
    assert [e.event for e in log.get_audit_log("projects").result().entries] == ["project_session_assigned"]
    assert log.get_audit_log("teams").result().entries == []
    today = datetime.fromtimestamp(clock.now(), tz=UTC).date()
    assert len(log.get_audit_log(day=today).result().entries) == 6
    assert log.get_audit_log(day=today - timedelta(days=1)).result().entries == []
    assert admin(mock, BOB).get_audit_log().result().entries == []

    answers = entries(mock, endpoint="audit_log")
    assert {e.status for e in answers} == ({302} if redirect else {200})
    downloads = entries(mock, where=lambda e: e.path.startswith("/_harness/files/audit/"))
    if redirect:
        assert all(e.response_headers["location"].startswith(f"{mock.base_url}/_harness/files/audit/") for e in answers)
        assert [e.status for e in downloads] == [200] * len(answers)
        assert answers[0].query == "event_type=all"  # no day sent: today on the server clock is implied
    else:
        assert downloads == []
    assert no_violations(mock) == []


def test_api_key_me_describes_and_revokes_the_calling_key(tinker_mock_factory: Callable[..., MockTinker]) -> None:
    mock = tinker_mock_factory()
    url = f"{mock.base_url}/api/v1/auth/apikey/me"
    me = httpx.get(url, headers={"X-API-Key": ALICE})  # `tinker auth login` uses plain httpx like this
    assert me.status_code == 200
    body = me.json()
    assert isinstance(body["key_id"], int) and body["name"] and body["note"]
    assert body["details"]["user_details"]["email"].endswith("@mock.invalid")
    assert httpx.get(url, headers={"X-API-Key": BOB}).json()["key_id"] != body["key_id"]
    assert httpx.delete(url, headers={"X-API-Key": ALICE}).status_code == 200
    revoked = httpx.get(url, headers={"X-API-Key": ALICE})
    assert revoked.status_code == 401 and revoked.json()["code"] == "revoked-api-key"
    assert httpx.get(url, headers={"X-API-Key": BOB}).status_code == 200
    assert tinker.__version__ == "0.38.0"
