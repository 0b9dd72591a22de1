"""The ``tinker_cassette`` pytest marker and fixture (registered by :mod:`mock_server.pytest_plugin`).

::

    @pytest.mark.tinker_cassette("cassettes/flow.yaml", record_mode="none")
    def test_flow(tinker_cassette):
        ...  # every Tinker request of the test is played from (or recorded into) the cassette

The marker wraps the whole test in :func:`mock_server.recording.use_cassette`. Its arguments are
those of ``use_cassette``; a relative path is taken from the test file's directory, and without a
path the cassette is ``cassettes/<test module>/<test name>.yaml`` beside the test file. The
``tinker_cassette`` fixture gives the test the active :class:`InProcessCassette` (it fails when the
test has no marker). An invalid record mode fails the test at setup, listing the valid modes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # vcrpy is imported only by a test that carries the marker, not by every pytest start
    from tinker_harness.mock_server.recording.vcr_adapter import InProcessCassette

__all__ = ["MARKER", "pytest_configure", "tinker_cassette", "tinker_cassette_marker"]

MARKER = "tinker_cassette"
_ACTIVE = pytest.StashKey["InProcessCassette"]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(path=None, record_mode='once', scrub_fields=(), scrub_headers=()): record the test's Tinker "
        "traffic into a cassette, or replay it from one (mock_server.recording)",
    )


def _cassette_path(node: pytest.Item, marker: pytest.Mark) -> Path:
    base = Path(node.path).parent
    given = marker.args[0] if marker.args else marker.kwargs.get("path")
    if given is not None:
        path = Path(given)
        return path if path.is_absolute() else base / path
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", node.name)
    return base / "cassettes" / Path(node.path).stem / f"{name}.yaml"


@pytest.fixture(autouse=True)
def tinker_cassette_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Enter the cassette of a ``tinker_cassette`` marker for the duration of the test."""
    node = request.node
    marker = node.get_closest_marker(MARKER) if isinstance(node, pytest.Item) else None
    if marker is None:
        yield
        return
    assert isinstance(node, pytest.Item)
    from tinker_harness.mock_server.recording.vcr_adapter import use_cassette

    options: dict[str, Any] = {k: v for k, v in marker.kwargs.items() if k != "path"}
    with use_cassette(_cassette_path(node, marker), **options) as active:
        node.stash[_ACTIVE] = active
        yield


@pytest.fixture
def tinker_cassette(request: pytest.FixtureRequest, tinker_cassette_marker: None) -> InProcessCassette:
    """The cassette the test's ``tinker_cassette`` marker opened."""
    node = request.node
    if not isinstance(node, pytest.Item) or _ACTIVE not in node.stash:
        pytest.fail(f"the tinker_cassette fixture needs @pytest.mark.{MARKER}(...) on {request.node.nodeid}")
    return node.stash[_ACTIVE]
