"""Training runs and checkpoints through the official SDK's RestClient, with two API keys
(protocol reference §5 rows 25-36, §10, §15).

State is put in place with :mod:`mock_server.state_setup` (real checkpoint bytes, no training);
every read and change goes through ``tinker.RestClient`` and is checked on the wire. One key never
sees another's private records: 404, never 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import numpy as np
import pytest
import tinker
from safetensors.numpy import load as load_safetensors
from surface_support import ALICE, BOB, entries, frozen_clock, http, no_violations, owner, rest, service

from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.model import TrainingState
from tinker_harness.mock_server.peft_layout import adapter_tensors
from tinker_harness.mock_server.rest_views import owner_urn
from tinker_harness.mock_server.state_setup import add_checkpoint, add_run, add_session

pytestmark = pytest.mark.sdk


def _run_ids(response: tinker.types.TrainingRunsResponse) -> list[str]:
    return [r.training_run_id for r in response.training_runs]


def test_runs_and_checkpoints_page_newest_first_and_stay_private(sdk_mock: Callable[..., MockTinker]) -> None:
    clock = frozen_clock()
    mock = sdk_mock(clock=clock)
    server = mock.server
    t0 = clock.now() - 1000
    project = add_session(server, ALICE, project_id="proj-a", created_at=t0)
    runs = [add_run(server, ALICE, session=project if i < 2 else None, created_at=t0 + i, rank=4 + i) for i in range(5)]
    for i, run in enumerate(runs):
        add_checkpoint(server, run, "weights", f"w-{i}", created_at=t0 + 10 + 2 * i)
        add_checkpoint(server, run, "sampler_weights", f"s-{i}", created_at=t0 + 11 + 2 * i)
    bob_run = add_run(server, BOB, created_at=t0 + 50)
    add_checkpoint(server, bob_run, "weights", "bob", created_at=t0 + 60)
    alice, bob = rest(mock, ALICE), rest(mock, BOB)

    pages = [alice.list_training_runs(limit=2, offset=offset).result() for offset in (0, 2, 4)]
    assert [len(p.training_runs) for p in pages] == [2, 2, 1]
    assert {p.cursor.total_count for p in pages} == {5}
    assert [rid for p in pages for rid in _run_ids(p)] == [r.run_id for r in reversed(runs)]
    assert _run_ids(alice.list_training_runs(project_id="proj-a").result()) == [runs[1].run_id, runs[0].run_id]
    assert _run_ids(bob.list_training_runs().result()) == [bob_run.run_id]

    shown = alice.get_training_run(runs[3].run_id).result()
    assert shown.lora_rank == 7 and shown.model_owner == owner_urn(owner(ALICE)) and shown.is_lora
    assert shown.last_checkpoint is not None and shown.last_checkpoint.tinker_path.endswith("/weights/w-3")
    assert shown.last_sampler_checkpoint is not None and shown.last_sampler_checkpoint.checkpoint_type == "sampler"
    by_path = alice.get_training_run_by_tinker_path(f"tinker://{runs[3].run_id}/weights/w-3").result()
    assert by_path.training_run_id == runs[3].run_id

    listed = alice.list_checkpoints(runs[0].run_id).result().checkpoints
    assert [(c.checkpoint_id, c.checkpoint_type, c.public) for c in listed] == [
        ("weights/w-0", "training", False),
        ("sampler_weights/s-0", "sampler", False),
    ]
    assert all(c.size_bytes and c.size_bytes > 1000 and c.expires_at is None for c in listed)

    user_pages = [alice.list_user_checkpoints(limit=4, offset=offset).result() for offset in (0, 4, 8)]
    times = [c.time for p in user_pages for c in p.checkpoints]
    assert len(times) == 10 and times == sorted(times, reverse=True)
    assert all(p.cursor is not None and p.cursor.total_count == 10 for p in user_pages)
    assert "bob" not in str([c.tinker_path for p in user_pages for c in p.checkpoints])

    for call in (
        lambda: bob.get_training_run(runs[0].run_id).result(),
        lambda: bob.get_training_run(runs[0].run_id, access_scope="accessible").result(),
        lambda: bob.list_checkpoints(runs[0].run_id).result(),
        lambda: alice.get_training_run("no-such-run").result(),
    ):
        with pytest.raises(tinker.NotFoundError):
            call()
    queries = [e.query for e in entries(mock, endpoint="list_user_checkpoints")]
    assert queries == ["limit=4&offset=0", "limit=4&offset=4", "limit=4&offset=8"]
    foreign = [e for e in entries(mock, endpoint="get_training_run") if e.status == 404]
    assert len(foreign) == 3 and all(e.response_body["detail"].startswith("training run") for e in foreign)
    assert no_violations(mock) == []


def test_publish_ttl_expiry_and_delete(sdk_mock: Callable[..., MockTinker]) -> None:
    clock = frozen_clock()
    mock = sdk_mock(clock=clock)
    server = mock.server
    run = add_run(server, ALICE)
    weights = add_checkpoint(server, run, "weights", "final", created_at=clock.now() - 20)
    sampler = add_checkpoint(server, run, "sampler_weights", "final", created_at=clock.now() - 10)
    alice, bob = rest(mock, ALICE), rest(mock, BOB)

    alice.publish_checkpoint_from_tinker_path(weights.tinker_path).result()
    assert [c.public for c in alice.list_checkpoints(run.run_id).result().checkpoints] == [True, False]
    assert run.run_id in _run_ids(bob.list_training_runs(access_scope="accessible").result())
    assert run.run_id not in _run_ids(bob.list_training_runs().result())
    assert bob.get_training_run(run.run_id, access_scope="accessible").result().last_checkpoint is not None
    assert [c.tinker_path for c in bob.list_checkpoints(run.run_id).result().checkpoints] == [weights.tinker_path]
    assert bob.get_weights_info_by_tinker_path(weights.tinker_path).result().lora_rank == 4
    for call in (
        lambda: bob.get_weights_info_by_tinker_path(sampler.tinker_path).result(),
        lambda: bob.delete_checkpoint_from_tinker_path(weights.tinker_path).result(),
        lambda: bob.unpublish_checkpoint_from_tinker_path(weights.tinker_path).result(),
        lambda: bob.set_checkpoint_ttl_from_tinker_path(weights.tinker_path, 3600).result(),
    ):
        with pytest.raises(tinker.NotFoundError):
            call()
    assert weights.public and (run.run_id, weights.checkpoint_id) in server.state.checkpoints

    # Repeating is a 409 (the SDK retries 409s for five minutes, so it is checked on the raw API).
    ckpt_url = f"/training_runs/{run.run_id}/checkpoints/{weights.checkpoint_id}"
    with http(mock, ALICE) as api:
        again = api.post(f"{ckpt_url}/publish")
        assert again.status_code == 409 and "already public" in again.json()["detail"]
        alice.unpublish_checkpoint_from_tinker_path(weights.tinker_path).result()
        again = api.delete(f"{ckpt_url}/publish")
        assert again.status_code == 409 and "already private" in again.json()["detail"]
        too_short = api.put(f"{ckpt_url}/ttl", json={"ttl_seconds": 60})
        assert too_short.status_code == 400 and "between 3600" in too_short.json()["detail"]
    with pytest.raises(tinker.NotFoundError):
        bob.get_training_run(run.run_id, access_scope="accessible").result()

    alice.set_checkpoint_ttl_from_tinker_path(weights.tinker_path, 7200).result()
    alice.set_checkpoint_ttl_from_tinker_path(sampler.tinker_path, 3600).result()
    alice.set_checkpoint_ttl_from_tinker_path(sampler.tinker_path, None).result()
    listed = {c.checkpoint_id: c for c in alice.list_checkpoints(run.run_id).result().checkpoints}
    assert listed["weights/final"].expires_at is not None
    assert listed["weights/final"].expires_at.timestamp() == pytest.approx(clock.now() + 7200, abs=1e-3)
    assert listed["sampler_weights/final"].expires_at is None
    ttl_bodies = [e.request_body for e in entries(mock, endpoint="set_checkpoint_ttl") if e.status == 200]
    assert ttl_bodies == [{"ttl_seconds": 7200}, {"ttl_seconds": 3600}, {"ttl_seconds": None}]

    clock.advance(7201)  # the weights checkpoint expires on the virtual clock
    assert [c.checkpoint_id for c in alice.list_checkpoints(run.run_id).result().checkpoints] == [
        "sampler_weights/final"
    ]
    assert [c.checkpoint_id for c in alice.list_user_checkpoints().result().checkpoints] == ["sampler_weights/final"]
    assert alice.get_training_run(run.run_id).result().last_checkpoint is None
    client = service(mock, ALICE)
    try:
        with pytest.raises(tinker.NotFoundError):
            client.create_training_client_from_state(weights.tinker_path).result()
    finally:
        client.close("success").result()
    with pytest.raises(tinker.NotFoundError):
        alice.get_weights_info_by_tinker_path(weights.tinker_path).result()

    alice.delete_checkpoint(run.run_id, "sampler_weights/final").result()
    assert alice.list_checkpoints(run.run_id).result().checkpoints == []
    with pytest.raises(tinker.NotFoundError):
        alice.delete_checkpoint_from_tinker_path(sampler.tinker_path).result()
    deletes = entries(mock, endpoint="delete_checkpoint")
    assert [e.status for e in deletes] == [404, 200, 404]
    assert no_violations(mock) == []


def test_weights_info_external_downloads_and_idempotent_copies(sdk_mock: Callable[..., MockTinker]) -> None:
    clock = frozen_clock()
    mock = sdk_mock(clock=clock)
    server = mock.server
    run = add_run(server, ALICE, rank=8)
    weights = add_checkpoint(server, run, "weights", "w")
    export = add_checkpoint(server, run, "external_weights", "e")
    alice = rest(mock, ALICE)

    info = alice.get_weights_info_by_tinker_path(weights.tinker_path).result()
    assert (info.base_model, info.is_lora, info.lora_rank) == ("Qwen/Qwen3-8B", True, 8)
    assert info.train_mlp and info.train_attn and info.train_unembed and info.optimizer_config.type == "adamw"

    urls = alice.get_external_weights_urls(export.tinker_path).result()
    assert sorted(urls.urls) == ["adapter_config.json", "adapter_model.safetensors"]
    assert urls.expires.timestamp() == pytest.approx(clock.now() + 3600, abs=1)
    got = httpx.get(urls.urls["adapter_model.safetensors"])  # no credentials: the signature is the credential
    assert got.status_code == 200 and int(got.headers["content-length"]) == len(got.content)
    arrays = load_safetensors(got.content)
    state = TrainingState.from_bytes(export.state)
    expected = adapter_tensors(state.weights, state.lora_config)
    assert arrays and sorted(arrays) == sorted(expected)
    assert all(np.array_equal(arrays[name], expected[name]) for name in arrays)
    config = httpx.get(urls.urls["adapter_config.json"]).json()
    assert config["r"] == 8 and config["tinker_path"] == export.tinker_path
    tampered = urls.urls["adapter_config.json"].replace("adapter_config", "adapter_model")
    refused = httpx.get(tampered)
    assert refused.status_code == 403 and refused.json()["code"] == "bad-signature"
    with pytest.raises(ValueError):
        alice.get_external_weights_urls(weights.tinker_path)  # the SDK checks the kind itself
    with http(mock, ALICE) as api:
        wrong = api.get(f"/training_runs/{run.run_id}/checkpoints/weights/w/external_weights_urls")
        assert wrong.status_code == 400 and wrong.json()["code"] == "not-an-export"

    copied = alice.copy_weights(weights.tinker_path, "proj-copies", ttl_seconds=7200).result()
    assert copied.startswith("tinker://") and copied.endswith(":train:0/weights/w")
    entry = entries(mock, endpoint="copy_weights")[-1]
    key = entry.request_headers["x-idempotency-key"]
    assert uuid.UUID(key).version == 4  # copy_weights pins a plain uuid4, not stainless-python-retry-<uuid>
    assert entry.request_body == {
        "source_path": weights.tinker_path,
        "destination_project_id": "proj-copies",
        "ttl_seconds": 7200,
    }
    runs_before = len(server.state.runs)
    with http(mock, ALICE) as api:
        replay = api.post("/copy_weights", json=entry.request_body, headers={"X-Idempotency-Key": key})
        assert replay.status_code == 200 and replay.json() == {"tinker_path": copied}
        assert replay.headers["x-idempotent-replay"] == "true"
        assert len(server.state.runs) == runs_before  # the retry made no second copy
        fresh = api.post("/copy_weights", json=entry.request_body, headers={"X-Idempotency-Key": str(uuid.uuid4())})
        assert fresh.status_code == 200 and fresh.json()["tinker_path"] != copied
        assert len(server.state.runs) == runs_before + 1
        bad_ttl = api.post("/copy_weights", json={**entry.request_body, "ttl_seconds": 5})
        assert bad_ttl.status_code == 400 and len(server.state.runs) == runs_before + 1

    copy_run = copied.removeprefix("tinker://").split("/")[0]
    copy_session = alice.get_session(copy_run.split(":")[0]).result()  # "a new training run in a new session"
    assert copy_session.training_run_ids == [copy_run]
    assert copy_session.user_metadata == {"copied_from": weights.tinker_path}
    assert len(alice.list_training_runs(project_id="proj-copies").result().training_runs) == 2
    via_service = service(mock, ALICE, project_id="proj-service").copy_weights(weights.tinker_path).result()
    assert [r.training_run_id for r in alice.list_training_runs(project_id="proj-service").result().training_runs] == [
        via_service.removeprefix("tinker://").split("/")[0]
    ]
    copy_ckpt = alice.list_checkpoints(copy_run).result().checkpoints[0]
    assert copy_ckpt.expires_at is not None and copy_ckpt.size_bytes == weights.size_bytes
    assert alice.get_weights_info_by_tinker_path(copied).result() == info
    with pytest.raises(tinker.NotFoundError):
        rest(mock, BOB).copy_weights(weights.tinker_path, "proj-bob").result()
    assert no_violations(mock) == []


def test_samplers_and_sessions_belong_to_their_key(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock(clock=frozen_clock())
    client = service(mock, ALICE, user_metadata={"purpose": "surface"}, project_id="proj-s", display_name="Surface")
    try:
        client.create_sampling_client(base_model="Qwen/Qwen3-8B").result()
        session_id = entries(mock, endpoint="create_session")[0].response_body["session_id"]
        sampler_id = entries(mock, endpoint="create_sampling_session")[0].response_body["sampling_session_id"]
        alice, bob = rest(mock, ALICE), rest(mock, BOB)
        sampler = alice.get_sampler(sampler_id).result()
        assert (sampler.sampler_id, sampler.base_model, sampler.model_path) == (sampler_id, "Qwen/Qwen3-8B", None)
        session = alice.get_session(session_id).result()
        assert session.sampler_ids == [sampler_id] and session.training_run_ids == []
        assert session.user_metadata == {"purpose": "surface"} and session.display_name == "Surface"
        assert alice.list_sessions().result().sessions == [session_id]
        assert bob.list_sessions().result().sessions == []
        for call in (lambda: bob.get_sampler(sampler_id).result(), lambda: bob.get_session(session_id).result()):
            with pytest.raises(tinker.NotFoundError):
                call()
        record = mock.server.state.sessions[session_id]
        assert record.project_id == "proj-s" and record.owner == owner(ALICE)
    finally:
        client.close("success").result()
    assert mock.server.state.sessions[session_id].finish_reason == "success"
    assert no_violations(mock) == []
