"""Record live Tinker sessions and replay them.

* Record: ``tinker-harness record`` (:class:`RecordingProxy`, any language) or in-process with
  vcrpy (:func:`use_cassette`, the ``tinker_cassette`` pytest marker).
* One cassette format for all (:mod:`mock_server.recording.cassette`): vcrpy's YAML, scrubbed at
  write time (:mod:`mock_server.recording.scrub`), protobuf bodies kept exact with a readable view.
* Replay: vcrpy playback in-process, or ``tinker-harness serve --replay`` (:class:`ReplayApp`)
  for any client, with id remapping and near-miss diagnoses.
* ``tinker-harness cassette check`` finds credentials; ``cassette to-scenario`` makes a
  conformance scenario of a recording.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tinker_harness.mock_server.recording.cassette import Cassette, Interaction
    from tinker_harness.mock_server.recording.cassette_io import CassetteError, read_cassette, write_cassette
    from tinker_harness.mock_server.recording.modes import RecordMode, RecordModeError
    from tinker_harness.mock_server.recording.proxy import RecordingProxy
    from tinker_harness.mock_server.recording.replay_app import ReplayApp
    from tinker_harness.mock_server.recording.scrub import Scrubber, ScrubRules
    from tinker_harness.mock_server.recording.secrets_check import check_cassette
    from tinker_harness.mock_server.recording.serving import AppServer
    from tinker_harness.mock_server.recording.vcr_adapter import InProcessCassette, use_cassette

# Loaded on first use, so ``tinker-harness serve`` does not pay for vcrpy and the proxy at start-up.
_HOMES = {
    "AppServer": "serving",
    "Cassette": "cassette",
    "Interaction": "cassette",
    "CassetteError": "cassette_io",
    "read_cassette": "cassette_io",
    "write_cassette": "cassette_io",
    "RecordMode": "modes",
    "RecordModeError": "modes",
    "RecordingProxy": "proxy",
    "ReplayApp": "replay_app",
    "ScrubRules": "scrub",
    "Scrubber": "scrub",
    "check_cassette": "secrets_check",
    "InProcessCassette": "vcr_adapter",
    "use_cassette": "vcr_adapter",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)


__all__ = [
    "AppServer",
    "Cassette",
    "CassetteError",
    "InProcessCassette",
    "Interaction",
    "RecordMode",
    "RecordModeError",
    "RecordingProxy",
    "ReplayApp",
    "ScrubRules",
    "Scrubber",
    "check_cassette",
    "read_cassette",
    "use_cassette",
    "write_cassette",
]
