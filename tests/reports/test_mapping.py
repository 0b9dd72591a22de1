"""Name, unit and scope rules between the Python SDK and an Elixir port."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinker_harness.reports.mapping.names import normalise_path, snake
from tinker_harness.reports.mapping.overrides import OverridesError, load_overrides
from tinker_harness.reports.mapping.units import normalise_name, port_unit, same_value, to_unit


@pytest.mark.parametrize(
    ("name", "unit", "timer", "expected"),
    [
        ("@default_timeout", "s", False, "ms"),  # unsuffixed Elixir time values are milliseconds
        ("@heartbeat_interval_ms", "s", False, "ms"),
        ("@flush_interval_sec", "s", False, "s"),
        ("progress_timeout_seconds", "s", False, "s"),
        ("@poll", "s", True, "ms"),  # :timer.seconds(n) returns milliseconds
        ("@max_retries", "count", False, "count"),
        ("@max_chunk_bytes", "bytes", False, "bytes"),
    ],
)
def test_port_units(name: str, unit: str, timer: bool, expected: str) -> None:
    assert port_unit(name, unit, timer)[0] == expected


def test_unit_conversion_and_name_normalisation() -> None:
    assert to_unit(60_000, "ms", "s") == 60 and to_unit(0.5, "s", "ms") == 500 and to_unit(7, "count", "s") == 7
    assert same_value(to_unit(10_000, "ms", "s"), 10.0) and not same_value(to_unit(60, "ms", "s"), 60.0)
    assert (
        normalise_name("@default_timeout_ms") == "timeout" and normalise_name("@flush_interval_sec") == "flush_interval"
    )
    assert snake("SampleRequest") == "sample_request" and snake("ServiceClient") == "service_client"
    assert (
        normalise_path("/api/v1/training_runs/{training_run_id}/checkpoints/") == "/api/v1/training_runs/{}/checkpoints"
    )


def test_scope_restricts_only_the_domains_it_names(tmp_path: Path) -> None:
    path = tmp_path / "o.toml"
    path.write_text(
        '[scope]\ninclude = ["clients:ServiceClient.*"]\nexclude = ["env:TINKER_LOG", "clients:*.holder"]\n'
    )
    overrides = load_overrides(path)
    assert overrides.in_scope("clients", "ServiceClient.close") and not overrides.in_scope(
        "clients", "RestClient.whoami"
    )
    assert not overrides.in_scope("clients", "ServiceClient.holder")
    assert overrides.in_scope("env", "TINKER_API_KEY") and not overrides.in_scope("env", "TINKER_LOG")
    assert load_overrides(None).in_scope("types", "Anything")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n", "unknown key 'colour' (expected app, scope, names, accept)"),
        ("app = 3\n", "app must be a string"),
        ("[scope]\nonly = []\n", "[scope] takes only include and exclude"),
        ('[names]\n"clients:X.y" = 1\n', "[names] must map strings to strings"),
        ("[scope]\ninclude = [1]\n", "scope.include must be a list of strings"),
    ],
)
def test_malformed_overrides_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "o.toml"
    path.write_text(text)
    with pytest.raises(OverridesError) as raised:
        load_overrides(path)
    assert str(raised.value) == f"{path}: {message}"
