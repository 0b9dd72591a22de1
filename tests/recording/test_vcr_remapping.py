"""In-process vcrpy playback remaps ids like the replay server: a client that makes up its own session
id and counts a cloned sampler's seq_ids from k * 1e9 replays a recording that used other ids.

The same hand-made cassette and the same client moves as ``test_replay_matching`` (protocol
reference §3 retries, §6 long-polls, §9.2 sampler seq_id offsets), through ``use_cassette``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from test_replay_matching import CASSETTE, sample
from vcr.errors import CannotOverwriteExistingCassetteException  # type: ignore[import-untyped]

from tinker_harness.mock_server.recording import use_cassette
from tinker_harness.mock_server.recording.cassette_io import write_cassette

UNREACHABLE = "http://127.0.0.1:9/any/prefix"  # nothing listens: every answer must come from the cassette


@pytest.fixture
def cassette_file(tmp_path: Path) -> Path:
    path = tmp_path / "hand-made.yaml"
    write_cassette(path, CASSETTE)
    return path


def post(client: httpx.Client, path: str, body: Any, key: str = "") -> httpx.Response:
    return client.post(path, json=body, headers={"x-idempotency-key": key} if key else {})


def test_vcr_playback_binds_client_ids_and_seq_offsets(cassette_file: Path) -> None:
    with use_cassette(cassette_file, record_mode="none") as cassette, httpx.Client(base_url=UNREACHABLE) as client:
        live_session = {"session_id": "my-own-session", "sampling_session_seq_id": 0}
        created = post(client, "/api/v1/create_sampling_session", live_session).json()
        live_sampler = "my-own-session:sample:0"
        assert created == {"sampling_session_id": live_sampler}  # the recorded id renamed to the client's
        clone = 1_000_000_000
        first = post(client, "/api/v1/asample", sample(clone, live_sampler), key="live-a")
        retry = post(client, "/api/v1/asample", sample(clone, live_sampler), key="live-a")
        assert (first.status_code, retry.status_code) == (429, 200)
        polls = [post(client, "/api/v1/retrieve_future", {"request_id": "req-1"}).json() for _ in range(2)]
        assert polls == [{"type": "try_again"}, {"done": "first"}]
        second = post(client, "/api/v1/asample", sample(clone + 1, live_sampler), key="live-b")
        assert second.json() == {"request_id": "req-2"}
        assert cassette.all_played and cassette.play_count == len(CASSETTE.interactions)
        assert cassette.replayer is not None and cassette.replayer.bindings.ids["my-own-session"] == "sess-1"


def test_a_skipped_seq_id_still_fails_in_vcr_playback(cassette_file: Path) -> None:
    with use_cassette(cassette_file, record_mode="none"), httpx.Client(base_url=UNREACHABLE) as client:
        post(client, "/api/v1/create_sampling_session", {"session_id": "s", "sampling_session_seq_id": 0})
        post(client, "/api/v1/asample", sample(5, "s:sample:0"), key="a")
        post(client, "/api/v1/asample", sample(5, "s:sample:0"), key="a")
        with pytest.raises(CannotOverwriteExistingCassetteException):
            post(client, "/api/v1/asample", sample(7, "s:sample:0"), key="b")  # recorded: the next number
