"""Authentication: API keys, configured key lists, 401s, and JWT mode with refresh and whoami
(protocol reference §0 item 2, §2.2 ``WWW-Authenticate``, §12, §15).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import tinker
from surface_support import ALICE, BOB, entries, frozen_clock, no_violations, owner, rest

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.redaction import redact_headers


def _tag(secret: str) -> str:
    return redact_headers({"x-api-key": secret})["x-api-key"]


def test_missing_malformed_and_unknown_keys_get_401_json(tinker_mock_factory: Callable[..., MockTinker]) -> None:
    mock = tinker_mock_factory(ServerConfig(api_keys=(ALICE,)))
    url = f"{mock.base_url}/api/v1/get_server_capabilities"
    cases = {
        "missing-api-key": {},
        "malformed-api-key": {"X-API-Key": "sk-not-a-tinker-key"},
        "unknown-api-key": {"X-API-Key": BOB},
    }
    for code, headers in cases.items():
        answer = httpx.get(url, headers=headers)
        assert answer.status_code == 401 and answer.headers["content-type"] == "application/json"
        assert answer.json()["code"] == code and answer.json()["detail"]
        assert "www-authenticate" not in answer.headers  # only an expired JWT asks the SDK to refresh
    assert httpx.get(url, headers={"X-API-Key": ALICE}).status_code == 200
    assert httpx.get(url, headers={"x-api-key": ALICE}).status_code == 200  # header names are case-insensitive
    assert ALICE not in repr(vars(mock.server.auth))  # only fingerprints of configured keys are kept
    logged = entries(mock, endpoint="get_server_capabilities")
    assert [e.status for e in logged] == [401, 401, 401, 200, 200]
    assert all(ALICE not in str(e.request_headers) and BOB not in str(e.request_headers) for e in logged)


@pytest.mark.sdk
def test_sdk_with_an_unlisted_key_fails_with_authentication_error(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock(ServerConfig(api_keys=(ALICE,)))
    with pytest.raises(tinker.AuthenticationError):
        rest(mock, BOB).get_server_capabilities().result()
    with pytest.raises(tinker.TinkerError):
        tinker.RestClient(base_url=mock.base_url, api_key="not-a-tml-key")  # refused before sending anything
    assert {e.status for e in entries(mock)} == {401}
    assert rest(mock, ALICE).get_server_capabilities().result().supported_models
    with pytest.raises(RuntimeError, match="JWT"):
        rest(mock, ALICE).whoami().result()  # plain API-key mode holds no identity claims


@pytest.mark.sdk
def test_jwt_mode_refreshes_an_expired_token_and_whoami_reads_its_claims(sdk_mock: Callable[..., MockTinker]) -> None:
    clock = frozen_clock()
    mock = sdk_mock(ServerConfig(client_config={"pjwt_auth_enabled": True}), clock=clock)
    client = rest(mock, ALICE)
    assert client.list_training_runs().result().training_runs == []
    identity = client.whoami().result()
    assert identity.user_urn == f"tml:user:{owner(ALICE)}"
    assert identity.org_urn == f"tml:organization:org-{owner(ALICE)[4:12]}"
    assert identity.email == f"{owner(ALICE)}@mock.invalid"

    clock.advance(3601)  # past the token's exp on the server clock; the SDK still believes it is fresh
    assert client.list_training_runs().result().cursor.total_count == 0
    calls = entries(mock, endpoint="list_training_runs")
    assert [e.status for e in calls] == [200, 401, 200]
    assert '"invalid_token"' in calls[1].response_headers["www-authenticate"]  # (the journal masks `Bearer x=`)
    assert calls[1].response_body["code"] == "expired-jwt"
    first_token, expired, fresh = (e.request_headers["x-api-key"] for e in calls)
    assert first_token == expired != fresh and _tag(ALICE) not in (first_token, fresh)
    exchanges = entries(mock, endpoint="auth_token")
    assert [e.status for e in exchanges] == [200, 200]
    assert {e.request_headers["x-api-key"] for e in exchanges} == {_tag(ALICE)}  # exchanged with the raw key
    assert exchanges[1].seq > calls[1].seq and exchanges[1].seq < calls[2].seq
    assert client.whoami().result() == identity
    assert no_violations(mock) == []

    stale = mock.server.auth.mint(owner(ALICE), now=clock.now() - 7200, ttl=3600)
    answer = httpx.get(f"{mock.base_url}/api/v1/training_runs", headers={"X-API-Key": stale})
    assert answer.status_code == 401 and 'error="invalid_token"' in answer.headers["www-authenticate"]
    forged = stale[:-4] + ("AAAA" if not stale.endswith("AAAA") else "BBBB")
    answer = httpx.get(f"{mock.base_url}/api/v1/training_runs", headers={"X-API-Key": forged})
    assert answer.status_code == 401 and answer.json()["code"] == "invalid-jwt"
