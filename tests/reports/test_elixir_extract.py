"""The tree-sitter extractor on the fixture port."""

from __future__ import annotations

from pathlib import Path

from parity_support import PLANTED

from tinker_harness.reports.elixir import extract_port, source_files
from tinker_harness.reports.elixir.parse import UNKNOWN, literal_source


def test_modules_functions_specs_and_defaults() -> None:
    port = extract_port(PLANTED)
    service = port.module("Tinkex.ServiceClient")
    assert service is not None and str(service.loc) == "lib/tinkex/service_client.ex:1"
    create = service.public_functions("create_lora_training_client")[0]
    assert (create.arity, create.min_arity, create.returns_task) == (3, 2, True)
    assert [p.name for p in create.params] == ["client", "base_model", "opts"] and create.params[2].default == "[]"
    assert (
        create.option_defaults["rank"][0] == "16"
        and str(create.option_defaults["rank"][1]) == "lib/tinkex/service_client.ex:12"
    )
    assert not service.public_functions("holder")[0].returns_task
    sampling = port.module("Tinkex.SamplingClient")
    assert sampling is not None and [f.arity for f in sampling.public_functions("create")] == [2]


def test_structs_enforce_keys_attributes_and_units() -> None:
    port = extract_port(PLANTED)
    request = port.module("Tinkex.Types.SampleRequest")
    assert request is not None and request.enforce_keys == ["prompt", "sampling_params"]
    fields = {f.name: f for f in request.struct or []}
    assert fields["num_samples"].default == "1" and fields["prompt"].default is None
    assert str(fields["cache_key"].loc) == "lib/tinkex/types/sample_request.ex:22"
    config = port.module("Tinkex.Config")
    assert config is not None
    assert config.attributes["heartbeat_interval_ms"].literal == 10_000  # :timer.seconds(10)
    assert config.attributes["max_chunk_bytes"].literal == 5_000_000
    adam = port.module("Tinkex.Types.AdamParams")
    assert adam is not None
    learning_rate = next(f for f in adam.struct or [] if f.name == "learning_rate")
    assert literal_source(learning_rate.default, lambda name: adam.attributes[name].literal) == 1e-4
    assert literal_source("some_call(1)") is UNKNOWN
    assert literal_source('%{a: [1, :b, "c"], d: nil}') == {"a": [1, "b", "c"], "d": None}


def test_paths_env_reads_and_cli_commands() -> None:
    port = extract_port(PLANTED)
    paths = {(p.verb, p.path) for p in port.paths}
    assert ("POST", "/api/v1/sessions/{}/finish") in paths and ("GET", "/api/v1/samplers/{}") in paths
    assert ("GET", "/api/v1/get_info") in paths and ("POST", "/api/v1/session/heartbeat") in paths
    assert not any(p.path.endswith(".") for p in port.paths), "moduledoc prose is not a path"
    assert {r.name for r in port.env_reads} >= {"TINKER_API_KEY", "TINKER_TELEMETRY", "CLOUDFLARE_ACCESS_CLIENT_SECRET"}
    assert "TINKER_TAGS" not in {r.name for r in port.env_reads}
    cli = {c.path: c for c in port.cli}
    assert {"version", "checkpoint list", "checkpoint delete", "run list", "run info"} <= set(cli)
    assert str(cli["version"].loc) == "lib/mix/tasks/tinkex.version.ex:1"
    assert cli["checkpoint list"].options == {"run_id"}
    assert cli["run list"].options == {"limit", "columns"}
    assert cli["checkpoint delete"].options == {"run_id", "type", "before", "after", "yes"}


def test_unparseable_files_are_reported_not_fatal(tmp_path: Path) -> None:
    port = extract_port(PLANTED)
    assert [str(p) for p in port.problems] == ["lib/tinkex/broken_draft.ex:1: syntax error near 'do'"]
    assert all(p.module != "Tinkex.BrokenDraft" for p in port.paths)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "latin1.ex").write_bytes(b'defmodule A do\n  @x "\xe9"\nend\n')
    (tmp_path / "deps" / "x" / "lib").mkdir(parents=True)
    (tmp_path / "deps" / "x" / "lib" / "dep.ex").write_text("defmodule Dep do\nend\n")
    assert source_files(tmp_path) == [tmp_path / "lib" / "latin1.ex"]
    surface = extract_port(tmp_path)
    assert surface.modules == [] and surface.problems[0].file == "lib/latin1.ex"
