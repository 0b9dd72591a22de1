"""pytest plugin (entry point ``tinker_harness``): a mock Tinker server per test, or per session.

Fixtures:

* ``tinker_mock`` — a fresh server on a free loopback port for one test; yields :class:`MockTinker`.
* ``tinker_mock_session`` — one server for the whole session (one per xdist worker); call
  ``.server.reset()`` between tests if they must not see each other's state.
* ``tinker_mock_factory`` — start servers with your own :class:`~mock_server.config.ServerConfig`
  or :class:`~mock_server.clock.Clock`; all are stopped at teardown.
* ``tinker_env`` — ``TINKER_BASE_URL``/``TINKER_API_KEY`` set for one test (through monkeypatch,
  so nothing leaks into other tests).
* ``@pytest.mark.tinker_cassette(path, record_mode=...)`` and the ``tinker_cassette`` fixture —
  record a test's Tinker traffic into a scrubbed cassette, or replay it (``mock_server.recording``).

Nothing global is set: each server binds its own port and keeps its own state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.journal import Journal
from tinker_harness.mock_server.recording.pytest_cassette import (  # noqa: F401 - the tinker_cassette marker's hook and fixtures
    pytest_configure,
    tinker_cassette,
    tinker_cassette_marker,
)
from tinker_harness.mock_server.runner import BackgroundServer

__all__ = ["MockTinker"]

DEFAULT_TEST_KEY = "tml-tinker-harness-test"


@dataclass
class MockTinker:
    """A running mock server as a test sees it."""

    server: MockServer
    base_url: str
    api_key: str = DEFAULT_TEST_KEY
    _background: BackgroundServer | None = field(default=None, repr=False)

    @property
    def env(self) -> dict[str, str]:
        """The environment a Tinker client needs to reach this server."""
        return {"TINKER_BASE_URL": self.base_url, "TINKER_API_KEY": self.api_key}

    @property
    def journal(self) -> Journal:
        return self.server.journal

    @property
    def clock(self) -> Clock:
        return self.server.clock

    def stop(self) -> None:
        if self._background is not None:
            self._background.stop()
            self._background = None


def start_mock(
    config: ServerConfig | None = None, clock: Clock | None = None, api_key: str = DEFAULT_TEST_KEY
) -> MockTinker:
    """Start a mock server in a background thread on a free port."""
    server = MockServer((config or ServerConfig()).model_copy(update={"port": 0}), clock=clock)
    background = BackgroundServer(server, host=server.config.host, port=0).start()
    return MockTinker(server=server, base_url=background.base_url, api_key=api_key, _background=background)


@pytest.fixture
def tinker_mock() -> Iterator[MockTinker]:
    mock = start_mock()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture(scope="session")
def tinker_mock_session() -> Iterator[MockTinker]:
    mock = start_mock()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def tinker_mock_factory() -> Iterator[Callable[..., MockTinker]]:
    started: list[MockTinker] = []

    def factory(
        config: ServerConfig | None = None, clock: Clock | None = None, api_key: str = DEFAULT_TEST_KEY
    ) -> MockTinker:
        mock = start_mock(config, clock, api_key)
        started.append(mock)
        return mock

    try:
        yield factory
    finally:
        for mock in started:
            mock.stop()


@pytest.fixture
def tinker_env(tinker_mock: MockTinker, monkeypatch: pytest.MonkeyPatch) -> MockTinker:
    for name, value in tinker_mock.env.items():
        monkeypatch.setenv(name, value)
    return tinker_mock
