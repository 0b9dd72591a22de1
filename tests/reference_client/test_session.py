"""Bootstrap and session lifecycle (§4.1-§4.4, §12): config, dynamic config, JWT mode, heartbeat, finish."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from client_clocks import ManualClock
from refclient_support import BASE_MODEL, endpoint_sequence, violations, wait_until

from tinker_harness.contracts import ClientDynamicConfigResponse
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.reference_client import ReferenceClient


def test_heartbeat_sleeps_first_beats_every_10_s_and_stops_on_410(tinker_mock: MockTinker) -> None:
    clock = ManualClock()

    def beats() -> list[JournalEntry]:
        return tinker_mock.journal.entries(endpoint="session_heartbeat")

    with ReferenceClient(tinker_mock.base_url, tinker_mock.api_key, clock=clock) as client:
        heartbeat = client.heartbeat
        assert heartbeat is not None
        wait_until(lambda: clock.sleepers == 1)
        assert clock.sleeps == [10.0] and beats() == []  # nothing before the first 10 s

        clock.advance(10.0)
        wait_until(lambda: len(beats()) == 1 and clock.sleepers == 1)
        (beat,) = beats()
        assert beat.status == 200 and beat.request_body == {
            "session_id": client.session_id,
            "type": "session_heartbeat",
        }
        assert beat.sdk_method is None and heartbeat.beats == 1

        # Another process finishes the session: the next beat gets 410 and the loop ends quietly.
        finish = httpx.post(
            f"{tinker_mock.base_url}/api/v1/sessions/{client.session_id}/finish",
            json={"reason": {"type": "success"}, "detail": None},
            headers={"X-API-Key": tinker_mock.api_key},
        )
        assert finish.status_code == 200
        clock.advance(10.0)
        wait_until(lambda: not heartbeat.running)
        assert heartbeat.stopped_by_server and heartbeat.failures == 0
        assert [e.status for e in beats()] == [200, 410]
        clock.advance(100.0)
    assert len(beats()) == 2


def test_bootstrap_order_and_a_404_dynamic_config_means_defaults(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    mock = tinker_mock_factory(ServerConfig(dynamic_config=None))
    with ReferenceClient(mock.base_url, mock.api_key, display_name="bootstrap", project_id="proj-1") as client:
        assert client.server_config.dynamic == ClientDynamicConfigResponse()
        assert client.server_config.client.fwdbwd_max_chunk_len == 1024
    assert endpoint_sequence(mock.journal.entries()) == [
        "client_config",
        "client_dynamic_config",  # 404, not retried
        "create_session",
        "finish_session",
    ]
    create = mock.journal.entries(endpoint="create_session")[0].request_body
    assert create["display_name"] == "bootstrap" and create["project_id"] == "proj-1" and create["user_metadata"] == {}


def test_leaving_the_block_with_an_exception_finishes_the_session_as_errored(tinker_mock: MockTinker) -> None:
    with pytest.raises(ZeroDivisionError), ReferenceClient(tinker_mock.base_url, tinker_mock.api_key):
        _ = 1 / 0
    (finish,) = tinker_mock.journal.entries(endpoint="finish_session")
    assert finish.request_body == {"reason": {"type": "errored"}, "detail": None}
    assert finish.sdk_method == "ServiceClient.close"


def test_jwt_mode_exchanges_the_key_once_then_sends_the_jwt(tinker_mock_factory: Callable[..., MockTinker]) -> None:
    mock = tinker_mock_factory(ServerConfig(client_config={"pjwt_auth_enabled": True}))
    with ReferenceClient(mock.base_url, mock.api_key) as client:
        training = client.create_lora_training_client(BASE_MODEL, rank=4)
        assert client.rest.get_training_run(training.model_id).lora_rank == 4
        assert client.async_client.transport.credential.startswith("eyJ")
    names = endpoint_sequence(mock.journal.entries())
    assert names[:4] == ["client_config", "auth_token", "client_dynamic_config", "create_session"]
    assert names.count("auth_token") == 1 and violations(mock.journal.entries()) == []
