"""The server-side checks pass on our own server and catch each deliberately broken variant of it."""

from __future__ import annotations

import pytest
from broken_servers import KEY, ErrorsAs500, TryAgainAsProtobuf, serving

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.scenarios.certify.probes import Prober
from tinker_harness.scenarios.certify.server_checks import CheckResult, check_oversized, run_server_checks
from tinker_harness.scenarios.steps import BASE_MODEL

# A short long poll makes the held probe answer try_again at once instead of after the seq-id gap.
QUICK = ServerConfig(long_poll_timeout=1.0)


def checks(base_url: str) -> dict[str, CheckResult]:
    found = run_server_checks(base_url, KEY, {}, BASE_MODEL, lambda: [], oversized_wait=5.0)
    return {c.id: c for c in found}


def test_our_server_passes_every_check() -> None:
    with serving(QUICK) as url:
        results = checks(url)
    assert {k: v.status for k, v in results.items()} == {
        "bad-input": "pass",
        "try-again-json": "pass",
        "long-poll-deadline": "pass",
        "zstd-body": "pass",
        "oversized-body": "pass",
    }, results


def test_a_server_answering_500_to_bad_input_is_caught() -> None:
    """TuFT answered 500 to every error, so the SDK retried bad requests as if the server were down."""
    with serving(QUICK, ErrorsAs500) as url:
        result = checks(url)["bad-input"]
    assert result.status == "fail"
    assert any("500" in line for line in result.evidence), result.evidence


def test_try_again_labelled_protobuf_is_caught() -> None:
    """Under a protobuf Accept only a finished result may be protobuf; the SDK cannot parse a try_again as one."""
    with serving(QUICK, TryAgainAsProtobuf) as url:
        result = checks(url)["try-again-json"]
    assert result.status == "fail"
    assert "protobuf" in result.summary


def test_a_server_without_a_body_limit_is_caught() -> None:
    """With no limit the server waits for a 2 GiB body instead of answering 413 on the declared length."""
    with serving(ServerConfig(max_request_bytes=1 << 40)) as url, Prober(url, KEY, {}) as prober:
        result = check_oversized(prober, 1 << 31, wait=3.0)
    assert result.status == "fail"
    assert "no 413" in result.summary


@pytest.mark.parametrize("declared", [1 << 31, (128 << 20) + 1])
def test_our_server_refuses_oversized_bodies_without_reading_them(declared: int) -> None:
    with serving() as url, Prober(url, KEY, {}) as prober:
        result = check_oversized(prober, declared, wait=5.0)
    assert result.status == "pass", result.evidence
