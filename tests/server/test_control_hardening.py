"""The control API: a token when the server is reachable beyond loopback, a reset that resets
everything unless told what to keep, and fault plans accepted as YAML as well as JSON."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker, start_mock

CONTROL = "/_harness/control"
TOKEN = "a-control-token-of-some-length"
PLAN_YAML = "rules:\n  - match: {endpoint: get_server_capabilities}\n    action: {status: 503}\n"


@pytest.fixture
def guarded() -> Iterator[MockTinker]:
    mock = start_mock(ServerConfig(control_token=TOKEN))
    try:
        yield mock
    finally:
        mock.stop()


def test_a_control_token_guards_every_control_call_but_not_the_tinker_api(guarded: MockTinker) -> None:
    with httpx.Client(base_url=guarded.base_url, timeout=30) as http:
        for method, path in [("GET", "health"), ("POST", "reset"), ("GET", "journal"), ("PUT", "faults")]:
            refused = http.request(method, f"{CONTROL}/{path}")
            assert refused.status_code == 401, path
            assert refused.json()["code"] == "control-token-required"
            wrong = http.request(method, f"{CONTROL}/{path}", headers={"Authorization": "Bearer nope-nope-nope"})
            assert wrong.status_code == 401
        assert http.get(f"{CONTROL}/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        caps = http.get("/api/v1/get_server_capabilities", headers={"X-API-Key": "tml-anyone"})
        assert caps.status_code == 200
    assert guarded.server.faults.plan.rules == []  # the refused PUT changed nothing


def test_without_a_token_the_loopback_control_api_stays_open(tinker_mock: MockTinker) -> None:
    assert httpx.get(f"{tinker_mock.base_url}{CONTROL}/health", timeout=30).status_code == 200


def test_serve_beyond_loopback_generates_a_token_and_warns_that_the_api_is_exposed() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tinker_harness", "serve", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        port = lines[0].rsplit(":", 1)[-1].strip()
        token = lines[3].rsplit(" ", 1)[-1].strip()
        assert "control token" in lines[3] and len(token) >= 16
        warning = process.stderr.readline()
        assert "not loopback" in warning and "Tinker API is exposed" in warning
        url = f"http://127.0.0.1:{port}{CONTROL}/reset"
        assert httpx.post(url, timeout=30).status_code == 401
        assert httpx.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_refuses_a_short_control_token() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tinker_harness", "serve", "--port", "0", "--control-token", "abc"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "control_token" in done.stderr


def _dirty(http: httpx.Client) -> None:
    assert http.put(f"{CONTROL}/faults", json={"rules": [{"action": {"status": 503}}]}).status_code == 200
    assert http.post(f"{CONTROL}/clock", json={"freeze": True, "advance": 3600}).status_code == 200
    http.get("/api/v1/get_server_capabilities", headers={"X-API-Key": "tml-x"})
    assert http.get(f"{CONTROL}/health").json()["journal_total"] >= 1


def test_reset_resets_journal_total_faults_and_clock_by_default(tinker_mock: MockTinker) -> None:
    with httpx.Client(base_url=tinker_mock.base_url, timeout=30) as http:
        _dirty(http)
        answer = http.post(f"{CONTROL}/reset")
        assert answer.status_code == 200 and answer.json()["status"] == "reset"
        assert http.get(f"{CONTROL}/health").json()["journal_total"] == 0
        assert http.get(f"{CONTROL}/faults").json()["plan"].get("rules", []) == []
        assert not tinker_mock.clock.frozen
        caps = http.get("/api/v1/get_server_capabilities", headers={"X-API-Key": "tml-x"})
        assert caps.status_code == 200  # the 503 rule is gone


def test_reset_keeps_the_plan_and_the_clock_when_asked(tinker_mock: MockTinker) -> None:
    with httpx.Client(base_url=tinker_mock.base_url, timeout=30) as http:
        _dirty(http)
        frozen_at = tinker_mock.clock.now()
        assert http.post(f"{CONTROL}/reset", json={"keep_faults": True, "keep_clock": True}).status_code == 200
        assert http.get(f"{CONTROL}/health").json()["journal_total"] == 0
        assert len(http.get(f"{CONTROL}/faults").json()["plan"]["rules"]) == 1
        assert tinker_mock.clock.frozen and tinker_mock.clock.now() == frozen_at
        refused = http.post(f"{CONTROL}/reset", json={"keep_everything": True})
        assert refused.status_code == 400 and "keep_everything" in refused.json()["detail"]


def test_the_python_reset_matches_the_control_api(tinker_mock: MockTinker) -> None:
    with httpx.Client(base_url=tinker_mock.base_url, timeout=30) as http:
        _dirty(http)
    tinker_mock.reset(keep_faults=True)
    assert tinker_mock.journal.total == 0 and len(tinker_mock.server.faults.plan.rules) == 1
    assert not tinker_mock.clock.frozen


@pytest.mark.parametrize("content_type", ["application/yaml", "application/x-yaml", "text/plain", None])
def test_put_faults_takes_yaml(tinker_mock: MockTinker, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    answer = httpx.put(f"{tinker_mock.base_url}{CONTROL}/faults", content=PLAN_YAML, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["plan"]["rules"][0]["match"]["endpoint"] == "get_server_capabilities"
    caps = httpx.get(f"{tinker_mock.base_url}/api/v1/get_server_capabilities", headers={"X-API-Key": "tml-x"})
    assert caps.status_code == 503


@pytest.mark.parametrize(
    ("body", "content_type", "mention"),
    [
        (PLAN_YAML, "application/json", "not valid JSON"),
        ("rules: [\n  - {", "application/yaml", "not valid YAML"),
        ("rules:\n  - action: {status: 500, transport: reset}\n", "application/yaml", "one action"),
        (b"\xff\xfe", "application/yaml", "UTF-8"),
        ('{"rules": ' + "[" * 5000 + "]" * 5000 + "}", "application/json", "deeper"),
    ],
)
def test_put_faults_rejects_bad_plans_with_a_400(
    tinker_mock: MockTinker, body: str | bytes, content_type: str, mention: str
) -> None:
    answer = httpx.put(
        f"{tinker_mock.base_url}{CONTROL}/faults", content=body, headers={"content-type": content_type}, timeout=30
    )
    assert answer.status_code == 400, answer.text
    assert mention in answer.json()["detail"]
