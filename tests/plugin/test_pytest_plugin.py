"""The pytest plugin: one server per test (or session, per xdist worker), nothing global leaks."""

from __future__ import annotations

import re

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import os
import httpx

def _session(mock):
    r = httpx.post(mock.base_url + "/api/v1/create_session", headers={"X-API-Key": mock.api_key},
                   json={"tags": [], "user_metadata": {}, "sdk_version": "t"})
    return r.json()["session_id"]

def test_one(tinker_mock):
    assert "TINKER_BASE_URL" not in os.environ
    _session(tinker_mock)
    assert len(tinker_mock.server.state.sessions) == 1
    print("PORT", tinker_mock.base_url)

def test_two(tinker_mock):
    _session(tinker_mock)
    assert len(tinker_mock.server.state.sessions) == 1  # a fresh server: the other test's session is not here
    print("PORT", tinker_mock.base_url)

def test_env_is_scoped(tinker_env):
    assert os.environ["TINKER_BASE_URL"] == tinker_env.base_url

def test_env_restored():
    assert "TINKER_BASE_URL" not in os.environ

def test_session_server(tinker_mock_session):
    assert httpx.get(tinker_mock_session.base_url + "/api/v1/healthz").json() == {"status": "ok"}
"""


def test_fixtures_isolate_tests(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_BASE_URL", raising=False)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    ports = re.findall(r"PORT (http://\S+)", "\n".join(result.outlines))
    assert len(ports) == 2 and ports[0] != ports[1]


def test_fixtures_work_under_xdist(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_BASE_URL", raising=False)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)


PITFALL_TESTS = """
import tinker

def test_first(tinker_env):
    assert tinker.RestClient().get_server_capabilities().result().supported_models

def test_second_reuses_the_first_server(tinker_env):
    tinker.RestClient().get_server_capabilities().result()
"""


def test_an_argumentless_rest_client_in_a_later_test_fails_fast_naming_the_pitfall(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK keeps the first TINKER_BASE_URL for the process; the stopped server's port answers 410 saying so."""
    monkeypatch.delenv("TINKER_BASE_URL", raising=False)
    pytester.makepyfile(test_pitfall=PITFALL_TESTS)
    # Without the tombstone the second test retries a refused connection for minutes: the timeout fails it.
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*410*was stopped when its test ended*pass base_url=tinker_mock.base_url*"])
