"""Static parity against a purpose-built Elixir port with planted gaps.

Every planted gap is found with its severity and both sides' evidence lines, and nothing else is
reported; overrides can map names and accept deviations.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from parity_support import PLANTED, PLANTED_GAPS, manifest

from tinker_harness.reports.elixir import extract_port
from tinker_harness.reports.findings import Domain, Finding, ItemStatus
from tinker_harness.reports.mapping.overrides import load_overrides
from tinker_harness.reports.static import compare_static


def _items(root: Path = PLANTED, overrides: Path | None = None) -> tuple[dict[str, Finding], list[ItemStatus]]:
    port = extract_port(root)
    findings, items = compare_static(manifest(), port, load_overrides(overrides or root / ".tinker-parity.toml"))
    assert len({f.id for f in findings}) == len(findings), "finding ids are unique"
    return {f.id: f for f in findings}, items


def _run(root: Path = PLANTED, overrides: Path | None = None) -> tuple[dict[str, Finding], list[str]]:
    """Findings, and the statuses of the surface items (wire items are checked on their own)."""
    found, items = _items(root, overrides)
    return found, [i.status for i in items if i.domain is not Domain.WIRE]


def test_every_planted_gap_is_found_with_severity_and_evidence_and_nothing_else() -> None:
    found, _ = _run()
    assert sorted(found) == sorted(PLANTED_GAPS)
    for gap_id, (severity, python, port) in PLANTED_GAPS.items():
        finding = found[gap_id]
        assert finding.severity.value == severity, gap_id
        assert (str(finding.python) if finding.python else None) == python, gap_id
        assert (str(finding.port) if finding.port else None) == port, gap_id
        assert finding.fix and finding.title


def test_findings_explain_themselves() -> None:
    found, _ = _run()
    timeout = found["constants/value/http.timeout"]
    assert "60 ms (0.06 s), SDK 60 s" in timeout.title and "60000 ms" in timeout.fix
    arity = found["clients/arity/TrainingClient.forward_backward"]
    assert "loss_fn" in arity.title and arity.python is not None and "loss_fn_config=None" in arity.python.text
    assert "/api/v1/session/heartbeat" in found["endpoints/path/POST /api/v1/session_heartbeat"].title


def test_item_statuses_feed_completeness() -> None:
    _, statuses = _run()
    # absent: save_weights_external(+_async), load_state(+_async), client/config, set-ttl, TINKER_TAGS,
    # telemetry.max_queue_size
    assert statuses.count("missing") == 8
    # present with medium-or-worse gaps: 3 request types, get_info verb, heartbeat path, create_lora rank default,
    # forward_backward arity, http.timeout
    assert statuses.count("partial") == 8
    assert statuses.count("minor") == 2  # only low gaps: get_base_model naming, checkpoint list --limit
    assert statuses.count("ok") == len(statuses) - 18


def test_wire_items_count_what_was_compared() -> None:
    """Each endpoint whose encoding was checked, once, and each request body the port has: the wire
    row of the summary is not empty while it lists gaps."""
    _, items = _items()
    wire = {i.subject: i.status for i in items if i.domain is Domain.WIRE}
    assert len(wire) == len([i for i in items if i.domain is Domain.WIRE])  # no endpoint counted twice
    assert wire["POST /api/v1/forward_backward"] == "partial"  # JSON where the SDK sends protobuf
    assert wire["POST /api/v1/retrieve_future"] == "partial"  # JSON results only
    assert wire["POST /api/v1/asample"] == "ok"
    assert wire["SampleRequest"] == "partial" and wire["SaveWeightsRequest"] == "ok"
    assert "POST /api/v1/unload_model" not in wire  # port-only: not an SDK item


def test_overrides_map_names_and_accept_deviations(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.toml"
    text = (PLANTED / ".tinker-parity.toml").read_text()
    text += (
        '\n[names]\n"clients:SamplingClient.get_base_model" = "Tinkex.SamplingClient.base_model"\n'
        '"constants:telemetry.max_queue_size" = "Tinkex.Telemetry.@max_batch_size"\n'
        '\n[accept]\n"clients/arity/TrainingClient.forward_backward" = "loss_fn travels in opts"\n'
    )
    overrides.write_text(text)
    found, _ = _run(overrides=overrides)
    assert set(PLANTED_GAPS) - set(found) == {
        "clients/naming/SamplingClient.get_base_model",
        "constants/unlocated/telemetry.max_queue_size",
        "clients/arity/TrainingClient.forward_backward",
    }
    # The explicit mapping is compared like any match: 100 events is not a 10000-event queue.
    assert set(found) - set(PLANTED_GAPS) == {"constants/value/telemetry.max_queue_size"}


def test_fixing_a_gap_in_the_port_closes_it(tmp_path: Path) -> None:
    port = tmp_path / "port"
    shutil.copytree(PLANTED, port)
    config = port / "lib/tinkex/config.ex"
    config.write_text(config.read_text().replace("@default_timeout 60\n", "@default_timeout 60_000\n"))
    sampling = port / "lib/tinkex/types/sampling_params.ex"
    sampling.write_text(sampling.read_text().replace("top_k: 0,", "top_k: -1,"))
    found, _ = _run(port)
    assert set(PLANTED_GAPS) - set(found) == {"constants/value/http.timeout", "wire/default/SamplingParams#top_k"}
    assert set(found) <= set(PLANTED_GAPS)
