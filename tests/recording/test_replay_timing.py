"""Replay with time: ``serve --replay --replay-latency SCALE`` answers after the recorded latency times
SCALE, slept on the server clock, so a frozen clock replays a long wait without waiting."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx
import pytest

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.recording import AppServer, ReplayApp, read_cassette
from tinker_harness.mock_server.recording.cassette import Cassette
from tinker_harness.mock_server.recording.proxy import RecordingProxy
from tinker_harness.mock_server.runner import BackgroundServer

RECORDED_SECONDS = 5.0


@pytest.fixture(scope="module")
def slow_cassette(tmp_path_factory: pytest.TempPathFactory) -> Cassette:
    """One recorded capabilities call whose recorded latency is set to 5 s."""
    path = tmp_path_factory.mktemp("timing") / "slow.yaml"
    with BackgroundServer() as upstream:
        proxy = RecordingProxy(upstream.base_url, path)
        with AppServer(proxy) as recorder:
            headers = {"X-API-Key": "tml-timing"}
            assert httpx.get(f"{recorder.base_url}/api/v1/get_server_capabilities", headers=headers).status_code == 200
        proxy.close()
    cassette = read_cassette(path)
    (interaction,) = cassette.interactions
    interaction.tinker = dataclasses.replace(interaction.tinker, duration=RECORDED_SECONDS)
    return cassette


async def _answered_after(app: ReplayApp, clock: Clock, advances: list[float]) -> list[bool]:
    """Whether the call has been answered after each clock advance."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://replay") as client:
        call = asyncio.ensure_future(client.get("/api/v1/get_server_capabilities"))
        seen = []
        for seconds in advances:
            clock.advance(seconds)
            await asyncio.sleep(0.05)
            seen.append(call.done())
        response = await asyncio.wait_for(call, 5)
        assert response.status_code == 200 and response.headers["x-tinker-harness-replay"] == "0"
    return seen


@pytest.mark.parametrize(
    ("scale", "advances", "expected"),
    [(1.0, [0, 4.9, 0.2], [False, False, True]), (0.5, [0, 2.4, 0.2], [False, False, True])],
)
def test_recorded_latency_is_replayed_on_the_server_clock(
    slow_cassette: Cassette, scale: float, advances: list[float], expected: list[bool]
) -> None:
    clock = Clock(frozen_at=1000.0)
    app = ReplayApp(slow_cassette, latency_scale=scale, clock=clock)
    assert asyncio.run(_answered_after(app, clock, advances)) == expected


def test_without_latency_replay_the_answer_comes_at_once(slow_cassette: Cassette) -> None:
    clock = Clock(frozen_at=1000.0)
    assert asyncio.run(_answered_after(ReplayApp(slow_cassette, clock=clock), clock, [0])) == [True]


def test_a_negative_scale_is_refused(slow_cassette: Cassette, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="latency_scale"):
        ReplayApp(slow_cassette, latency_scale=-1)


def test_cli_latency_flag_needs_replay_and_a_non_negative_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tinker_harness.cli import main

    assert main(["serve", "--replay-latency", "1"]) == 2
    assert capsys.readouterr().err.strip() == "tinker-harness serve: --replay-latency needs --replay CASSETTE"
    assert main(["serve", "--replay", str(tmp_path / "x.yaml"), "--replay-latency", "-2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["tinker-harness serve: --replay-latency must be a number >= 0, got -2.0"]
