"""Static parity on a fixture port written around every blind spot of a naive extractor.

The port (tests/fixtures/elixir/blindspots, app ``Quill``) reads its environment through one helper,
dispatches CLI commands by guard lists and a map, holds lists where the SDK has numpy twins, sends
``adam_params`` as the SDK's serializer does, keeps a struct field its encoder never sends, takes
its timeout from a default-mode clause, counts 400 retries up to a cap, splits connections over
pools, writes jitter as ``jitter_min``, has an opt-in feature with its own backoff, calls a path
that only looks like an SDK one and returns Tasks from ``*_async`` functions. None of that may
show as a gap; the gaps planted beside them must all be found, each with both sides' evidence.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from parity_support import FIXTURES, manifest

from tinker_harness.reports.elixir import extract_port
from tinker_harness.reports.findings import Finding
from tinker_harness.reports.grouping import group_findings
from tinker_harness.reports.mapping.overrides import load_overrides
from tinker_harness.reports.static import compare_static

BLINDSPOTS = FIXTURES / "blindspots"

# Every gap planted in the fixture: id -> (severity, python file:line, port file:line).
PLANTED: dict[str, tuple[str, str | None, str | None]] = {
    "wire/declared-sdk-version/declared-sdk-version": ("critical", "tinker/_base_client.py:1462", "mix.exs:6"),
    "wire/encoding/POST /api/v1/forward_backward": (
        "critical",
        "tinker/resources/training.py:45",
        "lib/quill/api.ex:14",
    ),
    "wire/result-encoding/POST /api/v1/retrieve_future": (
        "medium",
        "tinker/lib/api_future_impl.py:454",
        "lib/quill/api.ex:23",
    ),
    "wire/missing-field/TelemetrySendRequest#process_uuid": (
        "critical",
        "tinker/types/telemetry_send_request.py:20",
        "lib/quill/types/telemetry.ex:6",
    ),
    # a body built as a plain map at the call site (through a behaviour) leaves out the type tag
    "wire/missing-field/SessionHeartbeatRequest#type": (
        "high",
        "tinker/types/session_heartbeat_request.py:13",
        "lib/quill/session.ex:6",
    ),
    "wire/missing-field/SamplingParams#seed": (
        "medium",
        "tinker/types/_pydantic_types/sampling_params.py:10",
        "lib/quill/types/sampling_params.ex:4",
    ),
    # a derived encoder writes nil as null, and optim_step keeps nils; the SDK leaves unset optional
    # keys out (SamplingParams is posted inside SampleRequest by a call that drops nils: no gap)
    "wire/null-keys/OptimStepRequest": (
        "medium",
        "tinker/types/optim_step_request.py:14",
        "lib/quill/types/optim_step_request.ex:3",
    ),
    "wire/port-only-endpoint/POST /api/v1/training_runs/{}/checkpoints/{}/archive": (
        "medium",
        None,
        "lib/quill/api.ex:27",
    ),
    "endpoints/missing-endpoint/GET /api/v1/training_runs/{}/checkpoints/{}/external_weights_urls": (
        "high",
        "tinker/resources/weights.py:139",
        None,
    ),
    "env/missing-env/TINKER_PROJECT_ID": ("medium", "tinker/lib/public_interfaces/rest_client.py:661", None),
    "cli/missing-command/checkpoint set-ttl": ("medium", "tinker/cli/commands/checkpoint.py:893", None),
    "constants/value/futures.inflight_response_bytes": (
        "medium",
        "tinker/types/client_config_response.py:18",
        "lib/quill/response_limiter.ex:5",
    ),
    "constants/unlocated/holder.backoff_cap": ("low", "tinker/lib/internal_client_holder.py:998", None),
    # one port figure stands for two SDK settings; it matches one of them
    "constants/value/sampling.max_concurrent_requests": (
        "medium",
        "tinker/types/client_config_response.py:39",
        "lib/quill/retry_limits.ex:5",
    ),
    "types/missing-field/Checkpoint#expires_at": (
        "medium",
        "tinker/types/checkpoint.py:33",
        "lib/quill/types/checkpoint.ex:1",
    ),
    # an option read with no default: nothing is sent where the SDK sends its default
    "clients/option-default/RestClient.list_training_runs#access_scope": (
        "low",
        "tinker/lib/public_interfaces/rest_client.py:333",
        "lib/quill/rest_client.ex:15",
    ),
    "clients/option-default/RestClient.list_sessions#access_scope": (
        "low",
        "tinker/lib/public_interfaces/rest_client.py:1045",
        "lib/quill/rest_client.ex:15",
    ),
    "types/default/SaveWeightsForSamplerResponse#type": (
        "low",
        "tinker/types/_pydantic_types/save_weights_for_sampler_response.py:25",
        "lib/quill/types/save_weights_for_sampler_response.ex:4",
    ),
    "clients/naming/RestClient.delete_checkpoint_from_tinker_path": (
        "low",
        "tinker/lib/public_interfaces/rest_client.py:541",
        "lib/quill/rest_client.ex:4",
    ),
}


def _run(root: Path = BLINDSPOTS) -> dict[str, Finding]:
    findings, _ = compare_static(manifest(), extract_port(root), load_overrides(root / ".tinker-parity.toml"))
    return {f.id: f for f in findings}


def test_planted_gaps_are_found_with_evidence_and_no_blind_spot_is_a_gap() -> None:
    found = _run()
    assert sorted(found) == sorted(PLANTED)
    for gap_id, (severity, python, port) in PLANTED.items():
        finding = found[gap_id]
        assert finding.severity.value == severity, gap_id
        assert (str(finding.python) if finding.python else None) == python, gap_id
        assert (str(finding.port) if finding.port else None) == port, gap_id


def test_extraction_follows_helpers_guard_lists_and_maps() -> None:
    port = extract_port(BLINDSPOTS)
    reads = {r.name for r in port.env_reads}
    assert reads == {
        "TINKER_API_KEY",
        "TINKER_BASE_URL",
        "TINKER_TAGS",
        "TINKER_FEATURE_GATES",
        "TINKER_TELEMETRY",
        "TINKER_LOG",
        "TINKER_CREDENTIAL_CMD",
        "CLOUDFLARE_ACCESS_CLIENT_ID",
        "CLOUDFLARE_ACCESS_CLIENT_SECRET",
    }
    by_name = {r.name: str(r.loc) for r in port.env_reads}
    assert by_name["TINKER_API_KEY"] == "lib/quill/env.ex:4"  # the piped helper call
    assert by_name["TINKER_CREDENTIAL_CMD"] == "lib/quill/env.ex:10"  # a helper of the helper, called remotely
    cli = {c.path: c for c in port.cli}
    assert {"checkpoint list", "checkpoint delete", "run list", "run info", "version"} <= set(cli)
    assert "checkpoint set-ttl" not in cli and "list" not in cli  # sub-commands are never top-level
    assert {"run_id", "limit", "before", "after", "type", "yes"} <= cli["checkpoint delete"].options
    assert cli["version"].options == {"json"}
    sample_request = port.module("Quill.Types.SampleRequest")
    assert sample_request is not None and "local_cache_key" not in (sample_request.wire_fields() or [])
    telemetry = port.module("Quill.Types.TelemetrySendRequest")
    assert telemetry is not None and telemetry.wire_fields() == ["session_id", "platform", "sdk_version", "events"]
    assert port.declared_sdk_version is not None and port.declared_sdk_version[0] == "0.15.0"
    assert [(u.label, str(u.loc)) for u in port.version_uses] == [
        ("header x-stainless-package-version", "lib/quill/api.ex:10"),
        ("body key sdk_version", "lib/quill/api.ex:31"),
    ]


def test_calls_that_drop_nils_are_seen() -> None:
    """A body cleaned of nils by the function that posts it has no null keys, nor do the types it
    carries; ``compact_nils?: false`` keeps them."""
    port = extract_port(BLINDSPOTS)
    by_path = {p.path: p.drops_nil for p in port.paths}
    assert by_path["/api/v1/asample"] is True
    assert by_path["/api/v1/optim_step"] is False and by_path["/api/v1/forward_backward"] is False
    found = _run()
    assert "wire/null-keys/SamplingParams" not in found and "wire/null-keys/SampleRequest" not in found
    assert "wire/null-keys/OptimStepRequest" in found


def test_bodies_built_as_plain_maps_are_seen() -> None:
    """Only the call passing a plain map without the tag is a gap: a struct goes through its encoder
    and a complete map is complete."""
    bodies = [(b.path, b.keys, str(b.loc)) for b in extract_port(BLINDSPOTS).literal_bodies]
    heartbeats = sorted(b for b in bodies if b[0] == "/api/v1/session_heartbeat")
    assert heartbeats == [
        ("/api/v1/session_heartbeat", ["session_id"], "lib/quill/session.ex:6"),
        ("/api/v1/session_heartbeat", ["session_id", "type"], "lib/quill/session.ex:12"),
    ]
    fix = _run()["wire/missing-field/SessionHeartbeatRequest#type"].fix
    assert 'type: "session_heartbeat"' in fix and "lib/quill/session.ex:6" in fix


def test_keys_every_builder_fills_are_never_null(tmp_path: Path) -> None:
    """A key every construction sets to a value that cannot be nil (a literal, a field of the state, a
    parameter whose spec leaves nil out) never goes out as null; patterns and types are not builders."""
    port = extract_port(BLINDSPOTS)
    assert not port.problems
    assert port.set_keys["OptimStepRequest"] == {"model_id", "adam_params"}  # seq_id: `integer() | nil` once
    assert "seq_id" in _run()["wire/null-keys/OptimStepRequest"].title
    copy = tmp_path / "port"
    shutil.copytree(BLINDSPOTS, copy)
    requests = copy / "lib/quill/training_requests.ex"
    requests.write_text(requests.read_text().replace("integer() | nil", "integer()"))
    assert "wire/null-keys/OptimStepRequest" not in _run(copy)


def test_constants_are_read_for_what_they_mean() -> None:
    found = _run()
    for key in (
        "http.timeout",  # @default_timeout belongs to the opt-in :conservative mode; the default is 60 s
        "http.max_connections",  # 50 per pool × 20 pools
        "http.retry_jitter",  # jitter_min 0.75 = 1 − 0.25
        "futures.max_bad_request_retries",  # counts from 0 up to its cap 3
        "heartbeat.interval",  # Application.get_env default
    ):
        assert not [i for i in found if i.endswith(f"/{key}")], key
    # The opt-in recovery backoff (60 s) is not taken for the client-level retry cap.
    assert found["constants/unlocated/holder.backoff_cap"].port is None
    value = found["constants/value/futures.inflight_response_bytes"]
    assert "5 MiB" in value.title and "50 MiB" in value.title


def test_fixes_cannot_hurt() -> None:
    found = _run()
    text = " ".join(f.fix for f in found.values())
    assert "adam_params" not in text and "bad_request_retries" not in text and "pool" not in text
    assert "encoder" in found["wire/missing-field/SamplingParams#seed"].fix
    assert "seq_id" in found["wire/null-keys/OptimStepRequest"].title
    process = found["wire/missing-field/TelemetrySendRequest#process_uuid"].fix
    assert "encoder" in process and "lib/quill/types/telemetry.ex:12" in process
    assert "only once every builder sets it" in process  # enforcing it at once would break every caller
    version = found["wire/declared-sdk-version/declared-sdk-version"]
    assert "only once" in version.fix and "header x-stainless-package-version (lib/quill/api.ex:10)" in version.title
    archive = found["wire/port-only-endpoint/POST /api/v1/training_runs/{}/checkpoints/{}/archive"]
    assert "keep it until you know" in archive.fix
    # a rename would break the port's callers: add the SDK's name beside the port's
    naming = found["clients/naming/RestClient.delete_checkpoint_from_tinker_path"].fix
    assert "keep delete_checkpoint_by_tinker_path" in naming and "do not rename" in naming
    # raising a figure that also stands for a setting it matches would break that one
    shared = found["constants/value/sampling.max_concurrent_requests"].fix
    assert "also stands for sampling.max_connections (1000)" in shared and "instead of changing" in shared
    # limit and offset have their defaults where they are read; access_scope has none
    scope = found["clients/option-default/RestClient.list_training_runs#access_scope"]
    assert "sends nothing" in scope.title and '"owned"' in scope.fix
    assert not [i for i in found if i.endswith(("#limit", "#offset"))]
    # a response's type tag carries nothing: changing its default could only break port code
    tag = found["types/default/SaveWeightsForSamplerResponse#type"].fix
    assert "Nothing to change for the server" in tag and "Use nil" not in tag
    # a response struct is filled by its parsing function: a field only in defstruct would stay nil
    expires = found["types/missing-field/Checkpoint#expires_at"].fix
    assert "from_map/1 (lib/quill/types/checkpoint.ex:" in expires


def test_fixing_planted_gaps_closes_them(tmp_path: Path) -> None:
    port = tmp_path / "port"
    shutil.copytree(BLINDSPOTS, port)
    env = port / "lib/quill/env.ex"
    env.write_text(
        env.read_text().replace(
            "  def lookup(name)",
            '  def project_id(env \\\\ :system), do: fetch(env, "TINKER_PROJECT_ID")\n\n  def lookup(name)',
        )
    )
    cli = port / "lib/quill/cli.ex"
    text = cli.read_text().replace('"delete", "download"]', '"delete", "download", "set-ttl"]')
    cli.write_text(text.replace("run_id: :string,", "run_id: :string,\n      ttl: :integer,\n      remove: :boolean,"))
    params = port / "lib/quill/types/sampling_params.ex"
    params.write_text(params.read_text().replace("only: [:max_tokens, :stop", "only: [:max_tokens, :seed, :stop"))
    found = _run(port)
    assert set(PLANTED) - set(found) == {
        "env/missing-env/TINKER_PROJECT_ID",
        "cli/missing-command/checkpoint set-ttl",
        "wire/missing-field/SamplingParams#seed",
    }
    assert set(found) <= set(PLANTED)


def test_groups_fold_twins_and_lead_with_wire() -> None:
    findings, _ = compare_static(
        manifest(), extract_port(BLINDSPOTS), load_overrides(BLINDSPOTS / ".tinker-parity.toml")
    )
    groups = group_findings(manifest(), findings)
    assert sum(len(g.findings) for g in groups) == len(findings)
    assert [g.severity.value for g in groups] == sorted(
        (g.severity.value for g in groups), key=["critical", "high", "medium", "low"].index
    )
    missing = "endpoints/missing-endpoint/GET /api/v1/training_runs/{}/checkpoints/{}/external_weights_urls"
    archive = "wire/port-only-endpoint/POST /api/v1/training_runs/{}/checkpoints/{}/archive"
    by_finding = {i: g.key for g in groups for i in g.findings}
    assert by_finding[missing] != by_finding[archive]  # a look-alike path is another feature
    assert groups[0].severity.value == "critical"
    # one option read with no default behind two methods is one fix
    scope = "clients/option-default/RestClient.list_{}#access_scope"
    assert by_finding[scope.format("sessions")] == by_finding[scope.format("training_runs")]
