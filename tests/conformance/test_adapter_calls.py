"""The tinkex adapter against tinkex v0.4.0's public API, without Elixir: every ``Tinkex.*`` call in the
script (tree-sitter) must name a public function of tests/fixtures/tinkex-0.4.0/public-functions.json
with a fitting arity, no SDK call may be matched with ``{:ok, _} =``, and its capabilities are truthful."""

from __future__ import annotations

import re

from conformance_support import ROOT
from tinkex_data import public_functions

from tinker_harness.reports.elixir.remote_calls import (
    PublicFunction,
    check_calls,
    remote_calls,
    strict_matches,
)
from tinker_harness.scenarios.protocol import CAPABILITIES

EXS = ROOT / "scenarios" / "adapters" / "tinkex_adapter.exs"
TINKEX = [PublicFunction(f["module"], f["function"], f["arity"], f["min_arity"], f["loc"]) for f in public_functions()]

# The two calls the first real run failed on (the Elixir compiler's "undefined function" warnings),
# written as the adapter first had them, plus an aliased and a piped call with the same mistakes.
SHIPPED = b"""
defmodule Adapter do
  alias Tinkex.SamplingClient, as: Sampler
  alias Tinkex.Types.{ModelInput, SamplingParams}

  defp service(state) do
    {:ok, service} = Tinkex.ServiceClient.new()
    {service, state}
  end

  defp op("sample", args, client) do
    {:ok, task} = Tinkex.SamplingClient.sample(client, prompt: ModelInput.from_ints(args["prompt"]),
      sampling_params: %SamplingParams{max_tokens: 4})
    Sampler.sample(client, [])
    client |> Sampler.sample(ModelInput.from_ints([1]))
    task
  end
end
"""


def test_every_tinkex_call_in_the_adapter_is_public_with_a_fitting_arity() -> None:
    calls = [c for c in remote_calls(EXS.read_bytes()) if c.module.startswith("Tinkex")]
    assert check_calls(calls, TINKEX, "Tinkex") == []
    # the check really looked at the adapter's calls
    modules = {c.module for c in calls}
    assert {"Tinkex.ServiceClient", "Tinkex.TrainingClient", "Tinkex.SamplingClient", "Tinkex.RestClient"} <= modules
    assert len(calls) >= 30
    assert {str(c) for c in calls} >= {
        "Tinkex.ServiceClient.start_link/1",
        "Tinkex.SamplingClient.sample/4",
        "Tinkex.RestClient.set_checkpoint_ttl_from_tinker_path/3",
    }


def test_the_check_catches_the_shipped_bugs() -> None:
    problems = check_calls(remote_calls(SHIPPED), TINKEX, "Tinkex")
    assert problems == [
        "line 7: Tinkex.ServiceClient.new/0: Tinkex.ServiceClient has no public function new "
        "(`Tinkex.ServiceClient.new()`)",
        "line 12: Tinkex.SamplingClient.sample/2: wrong number of arguments, Tinkex.SamplingClient has sample/3..4",
        "line 14: Tinkex.SamplingClient.sample/2: wrong number of arguments, Tinkex.SamplingClient has sample/3..4",
        "line 15: Tinkex.SamplingClient.sample/2: wrong number of arguments, Tinkex.SamplingClient has sample/3..4",
    ]
    strict = strict_matches(SHIPPED, "Tinkex")
    assert [p.split(":", 1)[0] for p in strict] == ["line 7", "line 12"]
    assert strict[0] == "line 7: `{:ok, service} = Tinkex.ServiceClient.new()`"


def test_a_planted_arity_bug_in_the_adapter_is_caught() -> None:
    source = EXS.read_text()
    planted = source.replace(
        'set_checkpoint_ttl_from_tinker_path(state.rest, args["path"], args["ttl_seconds"])',
        'set_checkpoint_ttl_from_tinker_path(state.rest, args["path"])',
    )
    assert planted != source
    problems = check_calls(remote_calls(planted.encode()), TINKEX, "Tinkex")
    assert len(problems) == 1 and "set_checkpoint_ttl_from_tinker_path/2: wrong number of arguments" in problems[0]
    renamed = source.replace("Tinkex.TrainingClient.forward(", "Tinkex.TrainingClient.forward_only(")
    assert any(
        "no public function forward_only" in p for p in check_calls(remote_calls(renamed.encode()), TINKEX, "Tinkex")
    )


def test_captures_and_calls_without_parentheses_count() -> None:
    source = b"alias Tinkex.Types.ModelInput\nf = &ModelInput.from_ints/2\nx = Tinkex.ServiceClient.start_link\n"
    assert [str(c) for c in remote_calls(source)] == [
        "Tinkex.Types.ModelInput.from_ints/2",
        "Tinkex.ServiceClient.start_link/0",
    ]
    assert check_calls(remote_calls(source), TINKEX, "Tinkex") == [
        "line 2: Tinkex.Types.ModelInput.from_ints/2: wrong number of arguments, "
        "Tinkex.Types.ModelInput has from_ints/1"
    ]


def test_no_sdk_result_is_matched_with_ok() -> None:
    assert strict_matches(EXS.read_bytes(), "Tinkex") == []


def test_the_adapter_declares_what_tinkex_does() -> None:
    match = re.search(r"@capabilities ~w\(([^)]*)\)", EXS.read_text())
    assert match is not None
    capabilities = match.group(1).split()
    assert set(capabilities) <= set(CAPABILITIES)
    # tinkex never sends /sessions/{id}/finish; its create-from-state is create_model + load by model id;
    # forward_backward_custom works (its loss stays in Nx under Nx.Defn.grad); it sends telemetry batches.
    assert "session_finish" not in capabilities and "create_via_load" not in capabilities
    assert {"custom_loss", "telemetry", "training", "sampling", "checkpoints", "pipelining"} <= set(capabilities)
    assert not any(c.module == "Nx" and c.function == "to_number" for c in remote_calls(EXS.read_bytes()))
