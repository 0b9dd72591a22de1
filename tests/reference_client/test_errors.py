"""Typed errors that carry the exchange they came from (§15), from the real mock's answers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from refclient_support import BASE_MODEL

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.reference_client import (
    APIStatusError,
    AuthenticationFailed,
    ClientSettings,
    ConfigurationError,
    Conflict,
    FutureError,
    FutureExpired,
    Gone,
    NotFound,
    ReferenceClient,
    ReferenceClientError,
    RequestFailed,
    ServerError,
)
from tinker_harness.reference_client._errors import status_error_class


def test_a_404_is_not_found_with_method_path_status_and_the_servers_request_id(tinker_mock: MockTinker) -> None:
    with ReferenceClient(tinker_mock.base_url, tinker_mock.api_key) as client:
        with pytest.raises(NotFound) as caught:
            client.rest.get_training_run("no-such-run:train:0")
        session_id = client.session_id
    (entry,) = tinker_mock.journal.entries(endpoint="get_training_run")  # 404 is retried by neither layer
    error = caught.value
    assert (error.method, error.path, error.status) == ("GET", "/api/v1/training_runs/no-such-run:train:0", 404)
    assert error.request_id == entry.http_request_id and error.request_id
    assert error.session_id == session_id
    assert error.code == "training-run-not-found" and error.detail and "no-such-run" in error.detail
    assert f"request_id={error.request_id}" in str(error) and f"session_id={session_id}" in str(error)


def test_work_for_a_session_finished_elsewhere_is_gone(tinker_mock: MockTinker) -> None:
    with ReferenceClient(tinker_mock.base_url, tinker_mock.api_key) as client:
        finish = httpx.post(
            f"{tinker_mock.base_url}/api/v1/sessions/{client.session_id}/finish",
            json={"reason": {"type": "interrupted"}, "detail": "finished by another process"},
            headers={"X-API-Key": tinker_mock.api_key},
        )
        assert finish.status_code == 200
        with pytest.raises(Gone) as caught:
            client.create_lora_training_client(BASE_MODEL)
    assert caught.value.status == 410 and caught.value.code == "session-finished"
    assert caught.value.path == "/api/v1/create_model" and caught.value.session_id == client.session_id
    assert len(tinker_mock.journal.entries(endpoint="create_model")) == 1, "410 is not retried"


def test_an_unknown_key_is_authentication_failed_before_any_session(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    mock = tinker_mock_factory(ServerConfig(api_keys=("tml-the-only-key",)))
    client = ReferenceClient(mock.base_url, "tml-some-other-key")
    with pytest.raises(AuthenticationFailed) as caught:
        client.start()
    client.close()
    assert caught.value.status == 401 and caught.value.session_id is None
    assert [e.endpoint for e in mock.journal.entries()] == ["client_config"]


def test_bad_configuration_fails_before_sending_anything(tinker_mock: MockTinker) -> None:
    with pytest.raises(ConfigurationError, match="tml-"):
        ReferenceClient(tinker_mock.base_url, "sk-not-a-tinker-key")
    with pytest.raises(ConfigurationError, match="TINKER_API_KEY"):
        ClientSettings.resolve(tinker_mock.base_url, environ={})
    assert tinker_mock.journal.entries() == []


def test_settings_come_from_arguments_then_the_environment() -> None:
    env = {"TINKER_BASE_URL": "http://env.example/", "TINKER_API_KEY": "tml-env", "TINKER_TAGS": "b,a,b"}
    from_env = ClientSettings.resolve(environ=env)
    assert (from_env.base_url, from_env.api_key, from_env.tags) == ("http://env.example", "tml-env", ("a", "b"))
    explicit = ClientSettings.resolve("http://arg.example", "eyJhbGciOi.jwt.sig", environ=env)
    assert (explicit.base_url, explicit.api_key) == ("http://arg.example", "eyJhbGciOi.jwt.sig")
    default = ClientSettings.resolve(api_key="tml-x", environ={})
    assert default.base_url == "https://tinker.thinkingmachines.dev/services/tinker-prod"


def test_the_exception_tree() -> None:
    assert status_error_class(404) is NotFound and status_error_class(409) is Conflict
    assert status_error_class(503) is ServerError and status_error_class(418) is APIStatusError
    assert issubclass(NotFound, APIStatusError) and issubclass(APIStatusError, ReferenceClientError)
    assert issubclass(RequestFailed, FutureError) and issubclass(FutureExpired, FutureError)
    assert not issubclass(FutureExpired, APIStatusError), "an expired promise is a future outcome, not an HTTP error"
