"""Session REST through the official SDK: listing, keyset search, projects, access scopes and
trace export (protocol reference §5 rows 37-41, §10).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
import tinker
from surface_support import ALICE, BOB, entries, frozen_clock, http, no_violations, owner, rest
from tinker import types

from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.rest_views import owner_urn
from tinker_harness.mock_server.state import SessionRecord
from tinker_harness.mock_server.state_setup import add_checkpoint, add_run, add_session

pytestmark = pytest.mark.sdk


def _search_all(client: tinker.RestClient, request: types.SessionSearchRequest) -> list[str]:
    """Follow next_cursor to the end; every page but the last is full."""
    found: list[str] = []
    while True:
        page = client.search_sessions(request).result()
        found += [s.session_id for s in page.sessions]
        if page.next_cursor is None:
            return found
        assert len(page.sessions) == request.limit
        request = request.model_copy(update={"cursor": page.next_cursor})


@pytest.mark.filterwarnings("ignore:RestClient.search_sessions is experimental")
def test_session_listing_keyset_search_projects_and_scopes(sdk_mock: Callable[..., MockTinker]) -> None:
    clock = frozen_clock()
    mock = sdk_mock(clock=clock)
    server = mock.server
    t0 = float(int(clock.now()) - 10_000)
    mine: list[SessionRecord] = []
    for i in range(23):  # groups of three share a creation instant: ties are broken by session id
        mine.append(
            add_session(
                server,
                ALICE,
                created_at=t0 + 0.25 * (i // 3),
                user_metadata={"i": str(i), "parity": "odd" if i % 2 else "even"},
                display_name=f"Nightly {i}" if i % 5 == 0 else None,
                project_id="proj-x" if i < 4 else None,
            )
        )
    theirs = [add_session(server, BOB, created_at=t0 + 5) for _ in range(3)]
    bob_run = add_run(server, BOB, session=theirs[0])
    add_checkpoint(server, bob_run, "weights", "shared", public=True)
    newest_first = [s.session_id for s in sorted(mine, key=lambda s: (s.created_at, s.session_id), reverse=True)]
    alice, bob = rest(mock, ALICE), rest(mock, BOB)

    listed = [sid for offset in (0, 10, 20) for sid in alice.list_sessions(limit=10, offset=offset).result().sessions]
    assert listed == newest_first
    accessible = alice.list_sessions(limit=100, access_scope="accessible").result().sessions
    assert theirs[0].session_id in accessible and theirs[1].session_id not in accessible
    assert alice.get_session(theirs[0].session_id, access_scope="accessible").result().training_run_ids == [
        bob_run.run_id
    ]
    with pytest.raises(tinker.NotFoundError):
        alice.get_session(theirs[0].session_id).result()

    assert _search_all(alice, types.SessionSearchRequest(limit=5)) == newest_first
    cursors = [e.request_body.get("cursor") for e in entries(mock, endpoint="search_sessions")]
    assert cursors[0] is None and all(c and set(c) == {"last_created_at", "last_session_id"} for c in cursors[1:])
    assert len(cursors) == 5
    even = _search_all(alice, types.SessionSearchRequest(user_metadata={"parity": "even"}, limit=4))
    assert even == [sid for sid in newest_first if server.state.sessions[sid].user_metadata["parity"] == "even"]
    nightly = _search_all(alice, types.SessionSearchRequest(display_name="nightly", limit=50))
    assert sorted(nightly) == sorted(mine[i].session_id for i in (0, 5, 10, 15, 20))
    assert len(_search_all(alice, types.SessionSearchRequest(project_ids=["proj-x"]))) == 4
    assert len(_search_all(alice, types.SessionSearchRequest(project_ids=["default"]))) == 19
    everyone = types.SessionSearchRequest(owner=types.AccessibleSearchOwner(), limit=200)
    assert set(_search_all(alice, everyone)) == {*newest_first, theirs[0].session_id}
    only_bob = types.SessionSearchRequest(owner=types.UserSearchOwner(owner_urns=[owner_urn(owner(BOB))]))
    page = alice.search_sessions(only_bob).result()
    assert [s.session_id for s in page.sessions] == [theirs[0].session_id]
    assert page.sessions[0].checkpoints_count == 1 and page.sessions[0].owner == owner_urn(owner(BOB))

    target = mine[10]
    run = add_run(server, ALICE, session=target)
    alice.assign_session_project(target.session_id, "proj-new").result()
    assert _search_all(alice, types.SessionSearchRequest(project_ids=["proj-new"])) == [target.session_id]
    assert [r.training_run_id for r in alice.list_training_runs(project_id="proj-new").result().training_runs] == [
        run.run_id
    ]
    with pytest.raises(tinker.NotFoundError):
        bob.assign_session_project(target.session_id, "proj-bob").result()
    assert server.state.sessions[target.session_id].project_id == "proj-new"
    assert entries(mock, endpoint="assign_session_project")[0].request_body == {"project_id": "proj-new"}
    assert no_violations(mock) == []


def test_trace_export_goes_pending_then_ready_with_a_served_trace(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock(clock=frozen_clock())
    with http(mock, ALICE) as api:
        created = api.post("/create_session", json={"tags": [], "user_metadata": {}, "sdk_version": "raw"})
        session_id = created.json()["session_id"]
        assert api.post("/session_heartbeat", json={"session_id": session_id}).status_code == 200
        with http(mock, BOB) as other:
            assert other.get(f"/sessions/{session_id}/trace_export").status_code == 404
        lost = add_session(mock.server, ALICE)  # never seen on the wire: nothing to build a trace from
        answers = [api.get(f"/sessions/{lost.session_id}/trace_export").json() for _ in range(2)]
        assert [a["status"] for a in answers] == ["pending", "failed"] and "journal" in answers[1]["error"]

    url = rest(mock, ALICE).export_session_trace(session_id).result()  # polls every 5 s until ready
    polls = entries(mock, endpoint="export_session_trace", session_id=session_id)
    assert [e.response_body["status"] for e in polls] == ["pending", "ready"]
    assert polls[-1].response_body["url"] == url
    download = httpx.get(url)
    assert download.status_code == 200 and int(download.headers["content-length"]) == len(download.content)
    trace = json.loads(download.content)
    names = [event["name"] for event in trace["traceEvents"]]
    assert names[:2] == ["POST /api/v1/create_session", "POST /api/v1/session_heartbeat"]
    assert all(event["ph"] == "X" and event["dur"] >= 1 for event in trace["traceEvents"])
    assert trace["metadata"]["session_id"] == session_id
    assert no_violations(mock) == []
