"""Every REST call of §10 (§5 rows 8, 25-41) against the real mock, typed by the contract models."""

from __future__ import annotations

import asyncio
import re

import pytest
from client_clocks import ManualClock
from refclient_support import BASE_MODEL, violations

from tinker_harness.contracts import SessionSearchRequest
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.reference_client import AsyncReferenceClient


async def rest_flow(mock: MockTinker) -> None:
    clock = ManualClock()  # nothing advances it but this test: no heartbeat, and trace polls wait for us
    async with AsyncReferenceClient(mock.base_url, mock.api_key, clock=clock, project_id="proj-a") as client:
        rest = client.rest
        training = await client.create_lora_training_client(BASE_MODEL, rank=4)
        state, export = await asyncio.gather(training.save_state("s1"), training.save_weights_external("e1"))
        assert export.path == f"tinker://{training.model_id}/external_weights/e1"

        await rest.publish_checkpoint_from_tinker_path(state.path)
        listed = {c.tinker_path: c for c in (await rest.list_checkpoints(training.model_id)).checkpoints}
        assert listed[state.path].public and set(listed) == {state.path, export.path}
        await rest.unpublish_checkpoint_from_tinker_path(state.path)
        await rest.set_checkpoint_ttl_from_tinker_path(state.path, 3600)
        listed = {c.tinker_path: c for c in (await rest.list_checkpoints(training.model_id)).checkpoints}
        assert not listed[state.path].public and listed[state.path].expires_at is not None
        await rest.set_checkpoint_ttl_from_tinker_path(state.path, None)

        info = await rest.get_weights_info_by_tinker_path(state.path)
        assert info.base_model == BASE_MODEL and info.is_lora and info.lora_rank == 4
        urls = await rest.get_external_weights_urls(export.path)
        assert urls.urls and all(u.startswith("http") for u in urls.urls.values())
        with pytest.raises(ValueError, match="external_weights"):
            await rest.get_external_weights_urls(state.path)
        copied = await rest.copy_weights(state.path)  # into TINKER_PROJECT_ID / project_id
        assert copied.startswith("tinker://") and copied != state.path

        sampler = await client.create_sampling_client(model_path=state.path)  # base model learned from /samplers
        assert sampler.base_model == BASE_MODEL
        assert (await rest.get_sampler(sampler.sampling_session_id)).model_path == state.path

        await rest.assign_session_project(client.session_id, "proj-b")
        found = await rest.search_sessions(SessionSearchRequest(session_id=client.session_id))
        assert [s.session_id for s in found.sessions] == [client.session_id] and found.sessions[
            0
        ].project_id == "proj-b"

        pages = [await rest.list_user_checkpoints(limit=1, offset=i) for i in range(2)]
        assert all(p.cursor is not None and p.cursor.total_count >= 2 for p in pages)
        assert len({p.checkpoints[0].tinker_path for p in pages}) == 2
        await rest.delete_checkpoint_from_tinker_path(export.path)
        assert export.path not in {c.tinker_path async for c in rest.iter_user_checkpoints(page_size=1)}

        trace = asyncio.create_task(rest.export_session_trace(client.session_id))
        while clock.sleeps.count(5.0) < 1:  # the first poll answered "pending": the client waits 5 s
            await asyncio.sleep(0.01)
        clock.advance(5.0)
        assert re.match(r"https?://", await trace)


def test_every_rest_call_against_the_mock(tinker_mock: MockTinker) -> None:
    asyncio.run(rest_flow(tinker_mock))
    entries = tinker_mock.journal.entries()
    assert violations(entries) == []
    (copy,) = tinker_mock.journal.entries(endpoint="copy_weights")
    assert re.fullmatch(r"[0-9a-f-]{36}", copy.request_headers["x-idempotency-key"]), "copy_weights pins a bare uuid4"
    assert copy.request_body == {"source_path": copy.request_body["source_path"], "destination_project_id": "proj-a"}
    (ttl_set, ttl_removed) = tinker_mock.journal.entries(endpoint="set_checkpoint_ttl")
    assert ttl_set.request_body == {"ttl_seconds": 3600} and ttl_removed.request_body == {"ttl_seconds": None}
    delete = tinker_mock.journal.entries(endpoint="delete_checkpoint")[0]
    assert delete.path.endswith("/checkpoints/external_weights/e1"), "checkpoint ids keep their '/' in the URL"
    sdk_methods = {e.sdk_method for e in entries if e.endpoint == "get_sampler"}
    assert sdk_methods == {"ServiceClient.create_sampling_client", "RestClient.get_sampler"}
