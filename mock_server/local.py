"""Start a mock Tinker server in this process, on a free loopback port, and stop it again.

Used by the pytest plugin's fixtures and by the conformance runner; needs no pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.journal import Journal
from tinker_harness.mock_server.runner import BackgroundServer

__all__ = ["DEFAULT_TEST_KEY", "MockTinker", "start_mock"]

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

    def reset(self, *, keep_faults: bool = False, keep_clock: bool = False) -> None:
        """A fresh server again (see :meth:`MockServer.reset`): state, journal, faults and clock."""
        self.server.reset(keep_faults=keep_faults, keep_clock=keep_clock)

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
