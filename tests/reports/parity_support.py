"""Shared helpers of the parity-report tests: fixture paths, the planted gaps, SDK journals."""

from __future__ import annotations

import json
from pathlib import Path

from tinker_harness.contracts.surface import SurfaceManifest, load

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "elixir"
PLANTED = FIXTURES / "planted"
SDK_VERSION = "0.38.0"

# Every gap planted in tests/fixtures/elixir/planted: id -> (severity, python file:line, port file:line).
# Python lines point into the installed tinker 0.38.0; port lines into the fixture.
PLANTED_GAPS: dict[str, tuple[str, str | None, str | None]] = {
    # different endpoint path / verb, missing endpoint, port-only endpoint
    "endpoints/path/POST /api/v1/session_heartbeat": (
        "critical",
        "tinker/resources/service.py:129",
        "lib/tinkex/api/service.ex:9",
    ),
    "endpoints/verb/POST /api/v1/get_info": (
        "critical",
        "tinker/resources/models.py:76",
        "lib/tinkex/api/training.ex:27",
    ),
    "endpoints/missing-endpoint/POST /api/v1/client/config": ("high", "tinker/resources/service.py:67", None),
    "wire/port-only-endpoint/POST /api/v1/unload_model": ("medium", None, "lib/tinkex/api/service.ex:31"),
    # JSON where the SDK sends protobuf; JSON results where the SDK asks for protobuf
    "wire/encoding/POST /api/v1/forward_backward": (
        "critical",
        "tinker/resources/training.py:45",
        "lib/tinkex/api/training.ex:9",
    ),
    "wire/result-encoding/POST /api/v1/retrieve_future": (
        "medium",
        "tinker/lib/api_future_impl.py:454",
        "lib/tinkex/api/sampling.ex:19",
    ),
    # missing method, wrong arity, naming, default, deprecated methods missing
    "clients/missing-method/TrainingClient.save_weights_external": (
        "high",
        "tinker/lib/public_interfaces/training_client.py:1198",
        "lib/tinkex/training_client.ex:1",
    ),
    "clients/missing-method/TrainingClient.save_weights_external_async": (
        "low",
        "tinker/lib/public_interfaces/training_client.py:1261",
        "lib/tinkex/training_client.ex:1",
    ),
    "clients/missing-method/TrainingClient.load_state": (
        "low",
        "tinker/lib/public_interfaces/training_client.py:997",
        "lib/tinkex/training_client.ex:1",
    ),
    "clients/missing-method/TrainingClient.load_state_async": (
        "low",
        "tinker/lib/public_interfaces/training_client.py:1028",
        "lib/tinkex/training_client.ex:1",
    ),
    "clients/arity/TrainingClient.forward_backward": (
        "high",
        "tinker/lib/public_interfaces/training_client.py:352",
        "lib/tinkex/training_client.ex:13",
    ),
    "clients/naming/SamplingClient.get_base_model": (
        "low",
        "tinker/lib/public_interfaces/sampling_client.py:737",
        "lib/tinkex/sampling_client.ex:23",
    ),
    "clients/default/ServiceClient.create_lora_training_client#rank": (
        "medium",
        "tinker/lib/public_interfaces/service_client.py:299",
        "lib/tinkex/service_client.ex:12",
    ),
    # request bodies: an extra key sent, a required key missing, a default that goes on the wire
    "wire/extra-field/SampleRequest#cache_key": (
        "high",
        "tinker/types/sample_request.py:14",
        "lib/tinkex/types/sample_request.ex:22",
    ),
    "wire/missing-field/LoraConfig#rank": (
        "critical",
        "tinker/types/lora_config.py:9",
        "lib/tinkex/types/lora_config.ex:1",
    ),
    "wire/default/SamplingParams#top_k": (
        "high",
        "tinker/types/_pydantic_types/sampling_params.py:21",
        "lib/tinkex/types/sampling_params.ex:5",
    ),
    # missing env var
    "env/missing-env/TINKER_TAGS": ("medium", "tinker/lib/internal_client_holder.py:769", None),
    # missing CLI command and option
    "cli/missing-command/checkpoint set-ttl": ("medium", "tinker/cli/commands/checkpoint.py:893", None),
    "cli/missing-option/checkpoint list#limit": (
        "low",
        "tinker/cli/commands/checkpoint.py:729",
        "lib/tinkex/cli.ex:6",
    ),
    # a default in ms where the SDK has seconds; a constant the port does not define
    "constants/value/http.timeout": ("medium", "tinker/_constants.py:7", "lib/tinkex/config.ex:7"),
    "constants/unlocated/telemetry.max_queue_size": ("low", "tinker/lib/telemetry.py:44", None),
}


def manifest() -> SurfaceManifest:
    return load(SDK_VERSION)


def write_jsonl(path: Path, entries: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e, default=str) + "\n" for e in entries), encoding="utf-8")
    return path
