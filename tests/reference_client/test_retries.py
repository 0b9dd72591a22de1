"""The retry layers (§3.1, §3.2) and the poll decisions (§6.2, §6.3), with injected time.

Waits go through an :class:`InstantClock`, so the SDK's full 300 s holder window costs no real
time. The failures are real: a port nothing listens on, and a 409 the mock answers for publishing
a checkpoint twice. Faults the mock cannot produce yet (408/410/429/5xx on polls, Retry-After) are
covered by the pure decision functions here; their wire-level tests wait for server fault injection.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable

import httpx
import pytest
from client_clocks import InstantClock
from refclient_support import BASE_MODEL, unused_port

from tinker_harness.mock_server.local import MockTinker
from tinker_harness.reference_client import (
    AsyncRestClient,
    ClientSettings,
    Conflict,
    ConnectionFailed,
    HolderPolicy,
    ReferenceClient,
    RetryPolicy,
    Transport,
)
from tinker_harness.reference_client._poll_rules import (
    Failed,
    MetadataOnly,
    PollAction,
    Ready,
    TryAgain,
    classify_answer,
    poll_action,
)
from tinker_harness.reference_client._retry import BillingPause, call_policy, retry_after_seconds, should_retry

NO_JITTER = RetryPolicy(random=lambda: 0.0)
TRANSPORT_DELAYS = [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0, 10.0]  # min(0.5 * 2**n, 10), n = 0..9


def rest_over(
    base_url: str,
    api_key: str,
    clock: InstantClock,
    retry: RetryPolicy = NO_JITTER,
    holder: HolderPolicy | None = None,
) -> tuple[Transport, AsyncRestClient]:
    transport = Transport(ClientSettings.resolve(base_url, api_key), clock=clock, retry=retry, holder=holder)
    return transport, AsyncRestClient(transport)


def test_no_server_means_ten_transport_retries_inside_a_300_s_holder_window() -> None:
    clock = InstantClock()

    async def capabilities() -> None:
        transport, rest = rest_over(f"http://127.0.0.1:{unused_port()}", "tml-x", clock)
        try:
            await rest.get_server_capabilities()
        finally:
            await transport.aclose()

    with pytest.raises(ConnectionFailed) as caught:
        asyncio.run(capabilities())
    # Holder attempts at t = 0, 66.5, 134, 203.5, 277 (each spends 65.5 s in transport backoff), then
    # the window is spent: waits of 1, 2, 4, 8 s between them.
    per_attempt = [*TRANSPORT_DELAYS]
    assert clock.sleeps == [*per_attempt, 1.0, *per_attempt, 2.0, *per_attempt, 4.0, *per_attempt, 8.0, *per_attempt]
    assert (caught.value.method, caught.value.path, caught.value.status) == (
        "GET",
        "/api/v1/get_server_capabilities",
        None,
    )


def test_a_409_is_retried_by_both_layers_then_surfaces_as_conflict(tinker_mock: MockTinker) -> None:
    with ReferenceClient(tinker_mock.base_url, tinker_mock.api_key) as client:
        training = client.create_lora_training_client(BASE_MODEL, rank=4)
        path = training.save_state("published").result().path
        client.rest.publish_checkpoint_from_tinker_path(path)
    clock = InstantClock()

    async def publish_again() -> None:
        # Short layers keep the request count down (the SDK defaults are covered above): 2 transport
        # retries (0.5 s + 1 s) per holder attempt, and a 3 s window that fits two attempts.
        retry, holder = RetryPolicy(max_retries=2, random=lambda: 0.0), HolderPolicy(window=3.0)
        transport, rest = rest_over(tinker_mock.base_url, tinker_mock.api_key, clock, retry, holder)
        try:
            await rest.publish_checkpoint_from_tinker_path(path)
        finally:
            await transport.aclose()

    with pytest.raises(Conflict) as caught:
        asyncio.run(publish_again())
    retries = tinker_mock.journal.entries(endpoint="publish_checkpoint")[1:]
    assert len(retries) == 2 * 3 and {e.status for e in retries} == {409}
    attempts = [retries[:3], retries[3:]]
    for attempt in attempts:
        assert [e.request_headers["x-stainless-retry-count"] for e in attempt] == ["0", "1", "2"]
        assert len({e.request_headers["x-idempotency-key"] for e in attempt}) == 1, "one key per transport series"
    assert len({a[0].request_headers["x-idempotency-key"] for a in attempts}) == 2, "a new key per holder attempt"
    assert clock.sleeps == [0.5, 1.0, 1.0, 0.5, 1.0]  # transport, transport, holder, transport, transport
    assert caught.value.code == "already-public" and caught.value.request_id == retries[-1].http_request_id


def test_transport_retry_delays_follow_backoff_jitter_and_retry_after() -> None:
    assert [NO_JITTER.delay(n) for n in range(10)] == TRANSPORT_DELAYS
    assert RetryPolicy(random=lambda: 1.0).delay(3) == 4.0 * 0.75
    assert NO_JITTER.delay(0, httpx.Headers({"retry-after-ms": "1500"})) == 1.5
    assert NO_JITTER.delay(0, httpx.Headers({"retry-after": "2"})) == 2.0
    assert NO_JITTER.delay(4, httpx.Headers({"retry-after": "61"})) == 8.0, "hints above 60 s are ignored"
    assert NO_JITTER.delay(4, httpx.Headers({"retry-after": "0"})) == 8.0, "and so are hints of 0"
    in_30s = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after_seconds(httpx.Headers({"retry-after": in_30s})) or 0) <= 31


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (408, {}, True), (409, {}, True), (429, {}, True), (500, {}, True), (503, {}, True),
        (400, {}, False), (404, {}, False), (410, {}, False),
        (400, {"x-should-retry": "true"}, True), (503, {"x-should-retry": "false"}, False),
    ],
)  # fmt: skip
def test_transport_retry_decision(status: int, headers: dict[str, str], expected: bool) -> None:
    assert should_retry(httpx.Response(status, headers=headers)) is expected


def test_endpoint_policies_follow_the_sdk() -> None:
    assert call_policy("retrieve_future").max_retries == 0 and not call_policy("retrieve_future").holder_retries
    assert call_policy("save_weights").max_retries == 0 and call_policy("save_weights").holder_retries
    assert call_policy("create_model").max_retries is None and not call_policy("create_model").holder_retries
    assert call_policy("list_training_runs").holder_retries and call_policy("session_heartbeat").timeout == 10.0


def test_billing_pauses_last_as_long_as_the_server_allows() -> None:
    clock = InstantClock()
    pause = BillingPause(clock, max_pause=12.0, reset_after=300.0)
    decisions = []
    for _ in range(4):
        decisions.append(pause.should_pause())
        clock.time += 5.0
    assert decisions == [True, True, True, False]
    clock.time += 301.0
    assert pause.should_pause(), "a quiet spell longer than reset_after starts a new incident"


def json_answer(body: str) -> Callable[[], object]:
    return lambda: classify_answer("application/json", body.encode())


def test_retrieve_future_answers_are_classified_in_the_sdks_order() -> None:
    assert classify_answer("application/x-protobuf", b"\x08\x01") == Ready(b"\x08\x01")
    assert json_answer('{"type": "try_again", "request_id": "r", "queue_state": "paused_capacity"}')() == TryAgain(
        "paused_capacity", None
    )
    assert json_answer('{"type": "try_again", "queue_state": "weird", "queue_state_reason": "why"}')() == TryAgain(
        "unknown", "why"
    )
    assert json_answer('{"status": "complete_metadata", "response_payload_size": 12}')() == MetadataOnly(12)
    assert json_answer('{"error": "bad", "category": "user"}')() == Failed("bad", "user")
    assert json_answer('{"error": "bad", "category": "User"}')() == Failed("bad", "unknown")
    assert json_answer('{"metrics": {}}')() == Ready({"metrics": {}})
    with pytest.raises(ValueError):
        classify_answer("application/json", b"[1, 2]")


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (408, PollAction.REPOLL), (500, PollAction.REPOLL), (599, PollAction.REPOLL),
        (429, PollAction.BACKOFF), (400, PollAction.REPOLL_IF_BUDGET), (402, PollAction.BILLING_PAUSE),
        (410, PollAction.EXPIRED), (409, PollAction.FATAL), (404, PollAction.FATAL), (401, PollAction.FATAL),
    ],
)  # fmt: skip
def test_retrieve_future_error_statuses(status: int, action: PollAction) -> None:
    assert poll_action(status) is action
