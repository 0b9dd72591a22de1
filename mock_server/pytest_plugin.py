"""pytest plugin (entry point ``tinker_harness``): a mock Tinker server per test, or per session.

Fixtures:

* ``tinker_mock`` — a fresh server on a free loopback port for one test; yields :class:`MockTinker`.
* ``tinker_mock_session`` — one server for the whole session (one per xdist worker); call
  ``.reset()`` between tests if they must not see each other's state: it forgets the Tinker state,
  the journal (``journal.total`` restarts at 0), the fault plan and clock changes;
  ``reset(keep_faults=True, keep_clock=True)`` keeps those two.
* ``tinker_mock_factory`` — start servers with your own :class:`~mock_server.config.ServerConfig`
  or :class:`~mock_server.clock.Clock`; all are stopped at teardown.
* ``tinker_env`` — ``TINKER_BASE_URL``/``TINKER_API_KEY`` set for one test (through monkeypatch,
  so nothing leaks into other tests).
* ``@pytest.mark.tinker_cassette(path, record_mode=...)`` and the ``tinker_cassette`` fixture —
  record a test's Tinker traffic into a scrubbed cassette, or replay it (``mock_server.recording``).
* ``tinker_offline_assets``, ``tinker_offline_env``, ``tinker_offline_mock`` — run code that loads
  tokenizers and datasets from the Hugging Face Hub (tinker-cookbook) offline against the mock
  (``mock_server.offline.fixtures``).

Nothing global is set: each server binds its own port and keeps its own state. Importing this module
is cheap: the server's modules load when a fixture is first used. Outside pytest, start a server with
:func:`tinker_harness.mock_server.local.start_mock`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

# The cassette marker's hook and fixtures; they import vcrpy only for a test that carries the marker.
from tinker_harness.mock_server.offline.fixtures import (  # noqa: F401
    add_ini_options,
    tinker_offline_assets,
    tinker_offline_env,
    tinker_offline_mock,
)
from tinker_harness.mock_server.recording.pytest_cassette import (  # noqa: F401
    pytest_configure,
    tinker_cassette,
    tinker_cassette_marker,
)

if TYPE_CHECKING:  # the server's modules load when a fixture is first used, not when pytest loads the plugin
    from tinker_harness.mock_server.clock import Clock
    from tinker_harness.mock_server.config import ServerConfig
    from tinker_harness.mock_server.local import MockTinker, start_mock

__all__ = ["MockTinker", "start_mock"]


def __getattr__(name: str) -> Any:
    """``MockTinker`` and ``start_mock`` (homed in :mod:`tinker_harness.mock_server.local`), loaded when asked for."""
    if name in ("MockTinker", "start_mock"):
        from tinker_harness.mock_server import local

        return getattr(local, name)
    raise AttributeError(name)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_ini_options(parser)


def _start(config: ServerConfig | None = None, clock: Clock | None = None, api_key: str | None = None) -> MockTinker:
    from tinker_harness.mock_server.local import DEFAULT_TEST_KEY, start_mock

    return start_mock(config, clock, api_key or DEFAULT_TEST_KEY)


def _retire(mock: MockTinker) -> None:
    """Stop a per-test server and leave a tombstone on its port (:mod:`mock_server.tombstones`), so a
    later test's argument-less ``tinker.RestClient()``, still bound to this server, fails fast with a
    410 saying so instead of retrying a refused connection for minutes."""
    from urllib.parse import urlsplit

    from tinker_harness.mock_server.tombstones import leave_tombstone

    parts = urlsplit(mock.base_url)
    mock.stop()
    if parts.hostname is not None and parts.port is not None:
        leave_tombstone(parts.hostname, parts.port)


@pytest.fixture
def tinker_mock() -> Iterator[MockTinker]:
    mock = _start()
    try:
        yield mock
    finally:
        _retire(mock)


@pytest.fixture(scope="session")
def tinker_mock_session() -> Iterator[MockTinker]:
    mock = _start()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def tinker_mock_factory() -> Iterator[Callable[..., MockTinker]]:
    started: list[MockTinker] = []

    def factory(
        config: ServerConfig | None = None, clock: Clock | None = None, api_key: str | None = None
    ) -> MockTinker:
        mock = _start(config, clock, api_key)
        started.append(mock)
        return mock

    try:
        yield factory
    finally:
        for mock in started:
            _retire(mock)


@pytest.fixture
def tinker_env(tinker_mock: MockTinker, monkeypatch: pytest.MonkeyPatch) -> MockTinker:
    for name, value in tinker_mock.env.items():
        monkeypatch.setenv(name, value)
    return tinker_mock
