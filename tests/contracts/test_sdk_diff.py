"""``tinker-harness sdk-diff``: the wire changelog between SDK versions, on the known break points.

Profiles are the stored ones (``contracts/surface/profiles``, regenerated from the wheels and
checked against them in ``tests/versions/test_profiles.py``); the cited lines are checked against
the real wheels of 0.24.1 and 0.25.0 (``pip download``, cached).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tinker_harness.cli import main
from tinker_harness.contracts.surface.profile import BREAK_POINTS, load_profile
from tinker_harness.contracts.surface.wheels import unpacked_wheel
from tinker_harness.contracts.surface.wire_diff import Change, WireDiff, diff_profiles
from tinker_harness.reports.generations_doc import DOC_PATH, render_generations_doc

ROOT = Path(__file__).resolve().parents[2]

# (A, B, category, action, subject, breaking for) at every break point the SDK's history has.
BREAKS = [
    ("0.24.1", "0.25.0", "encoding", "changed", "POST /api/v1/forward_backward", "servers"),
    ("0.24.1", "0.25.0", "encoding", "changed", "POST /api/v1/forward_backward", "ports"),
    ("0.24.1", "0.25.0", "encoding", "changed", "POST /api/v1/retrieve_future", "servers"),
    ("0.24.1", "0.25.0", "endpoint", "removed", "POST /api/v1/forward", "ports"),
    ("0.24.1", "0.25.0", "client config", "removed", "proto_write_fwdbwd", "servers"),
    ("0.25.0", "0.26.0", "endpoint", "added", "POST /api/v1/cancel_future", "servers"),
    # Optional in the type, asserted present by the sampling client: a server that omits it fails 0.26.
    ("0.25.0", "0.26.0", "response field", "added", "UntypedAPIFuture.sample_sequence_ids", "servers"),
    ("0.26.0", "0.26.2", "endpoint", "added", "POST /api/v1/retrieve_futures", "servers"),
    ("0.26.2", "0.27.2", "endpoint", "added", "POST /api/v1/sessions/{session_id}/finish", "servers"),
    ("0.30.4", "0.33.1", "endpoint", "added", "POST /api/v1/join_sampling_session", "servers"),
    ("0.30.4", "0.33.1", "endpoint", "added", "GET /api/v1/billing/usage/checkpoints/current", "servers"),
    ("0.33.1", "0.36.0", "endpoint", "added", "POST /api/v1/create_custom_loss", "servers"),
    ("0.33.1", "0.36.0", "endpoint", "added", "POST /api/v1/sessions/search", "servers"),
    (
        "0.33.1",
        "0.36.0",
        "endpoint",
        "removed",
        "GET /api/v1/training_runs/{model_id}/checkpoints/{checkpoint_id}/archive",
        "ports",
    ),
    ("0.36.0", "0.38.0", "client config", "removed", "create_model_via_load_weights", "servers"),
    ("0.36.0", "0.38.0", "request field", "added", "SaveWeightsForSamplerRequest.kind", "servers"),
]


def _diff(a: str, b: str) -> WireDiff:
    return diff_profiles(load_profile(a), load_profile(b))


def _find(diff: WireDiff, category: str, action: str, subject: str) -> Change:
    found = [c for c in diff.changes if (c.category, c.action, c.subject) == (category, action, subject)]
    assert len(found) == 1, f"{category} {action} {subject} not in {diff.a} → {diff.b}"
    return found[0]


@pytest.mark.parametrize(("a", "b", "category", "action", "subject", "audience"), BREAKS)
def test_every_break_point_is_reported_as_breaking_in_the_right_direction(
    a: str, b: str, category: str, action: str, subject: str, audience: str
) -> None:
    change = _find(_diff(a, b), category, action, subject)
    assert getattr(change, audience) == "breaking"
    assert (change.at_a is not None) == (action != "added") and (change.at_b is not None) == (action != "removed")


def test_additions_are_not_breaking_for_ports_nor_removals_for_servers() -> None:
    diff = _diff("0.33.1", "0.36.0")
    assert _find(diff, "endpoint", "added", "POST /api/v1/create_custom_loss").ports == "non-breaking"
    archive = "GET /api/v1/training_runs/{model_id}/checkpoints/{checkpoint_id}/archive"
    assert _find(diff, "endpoint", "removed", archive).servers == "non-breaking"
    backwards = _diff("0.36.0", "0.33.1")  # the same pair read backwards swaps who breaks
    assert _find(backwards, "endpoint", "added", archive).servers == "breaking"
    assert _find(backwards, "endpoint", "removed", "POST /api/v1/create_custom_loss").ports == "breaking"


def test_sample_sequence_ids_is_breaking_because_the_sdk_asserts_it_not_because_the_type_requires_it() -> None:
    change = _find(_diff("0.25.0", "0.26.0"), "response field", "added", "UntypedAPIFuture.sample_sequence_ids")
    assert "optional, default None; the SDK asserts it present at" in change.summary
    at = load_profile("0.26.0").types["UntypedAPIFuture"].asserted["sample_sequence_ids"]
    file, number = at.rsplit(":", 1)
    text = (unpacked_wheel("0.26.0") / file).read_text(encoding="utf-8").splitlines()[int(number) - 1]
    assert text.strip().startswith("assert sample_sequence_ids is not None")


@pytest.mark.parametrize("version", ["0.15.0", "0.26.0", "0.38.0"])
def test_every_asserted_field_cites_an_assertion_on_it(version: str) -> None:
    root = unpacked_wheel(version)
    asserted = {(t, f): at for t, info in load_profile(version).types.items() for f, at in info.asserted.items()}
    assert asserted, "the SDK asserts some optional result field present in every version"
    for (type_name, field_name), at in asserted.items():
        file, number = at.rsplit(":", 1)
        text = (root / file).read_text(encoding="utf-8").splitlines()[int(number) - 1].strip()
        assert text.startswith("assert ") and " is not None" in text, (type_name, field_name, text)
        assert not load_profile(version).types[type_name].fields[field_name].required


def test_an_assertion_on_an_existing_optional_field_breaks_servers_only_when_it_starts() -> None:
    b = load_profile("0.25.0")
    model_data = b.types["ModelData"]
    assert "model_name" in model_data.asserted
    unasserted = model_data.model_copy(update={"asserted": {}})
    a = b.model_copy(update={"version": "0.25.0-without", "types": {**b.types, "ModelData": unasserted}})
    now = _find(diff_profiles(a, b), "response field", "changed", "ModelData.model_name")
    assert (now.servers, now.ports) == ("breaking", "non-breaking")
    assert now.at_b == model_data.asserted["model_name"] and now.summary.endswith("now asserted present by the SDK")
    stopped = _find(diff_profiles(b, a), "response field", "changed", "ModelData.model_name")
    assert (stopped.servers, stopped.ports) == ("non-breaking", "non-breaking")


def test_a_type_that_writes_its_own_wire_keys_is_noted_on_its_field_changes() -> None:
    assert load_profile("0.30.4").types["OptimStepRequest"].custom_serializer
    assert not load_profile("0.27.2").types["OptimStepRequest"].custom_serializer
    diff = _diff("0.27.2", "0.30.4")
    for action, field_name in (("removed", "adam_params"), ("added", "optim_params")):
        change = _find(diff, "request field", action, f"OptimStepRequest.{field_name}")
        assert "writes its own wire keys (model_serializer), so check the body" in change.summary
    assert not any("model_serializer" in c.summary for c in _diff("0.24.1", "0.25.0").changes)


def test_checkpoint_storage_usage_is_called_from_0_33_1_and_public_from_0_36_0() -> None:
    usage = "GET /api/v1/billing/usage/checkpoints/current"
    assert _find(_diff("0.30.4", "0.33.1"), "endpoint", "added", usage).servers == "breaking"
    public = _find(_diff("0.33.1", "0.36.0"), "method", "added", "RestClient.get_current_checkpoint_storage_usage")
    assert (public.servers, public.ports) == ("non-breaking", "non-breaking")


def test_a_version_against_itself_has_no_change() -> None:
    assert _diff("0.38.0", "0.38.0").changes == []


def test_endpoint_counts_match_the_wheels() -> None:
    counts = {v: len({e.path for e in load_profile(v).endpoints}) for v in BREAK_POINTS}
    assert counts == {
        "0.15.0": 31,
        "0.21.0": 34,
        "0.22.0": 35,
        "0.24.1": 37,
        "0.25.0": 37,
        "0.26.0": 38,
        "0.26.2": 40,
        "0.27.2": 41,
        "0.30.4": 42,
        "0.33.1": 44,
        "0.36.0": 45,
        "0.38.0": 45,
    }


def test_the_cited_lines_are_what_the_change_says_in_both_wheels() -> None:
    diff = _diff("0.24.1", "0.25.0")
    roots = {"a": unpacked_wheel("0.24.1"), "b": unpacked_wheel("0.25.0")}

    def line(side: str, at: str | None) -> str:
        assert at is not None
        file, number = at.rsplit(":", 1)
        return (roots[side] / file).read_text(encoding="utf-8").splitlines()[int(number) - 1]

    forward = _find(diff, "endpoint", "removed", "POST /api/v1/forward")
    assert '"/api/v1/forward"' in line("a", forward.at_a)
    body = _find(diff, "encoding", "changed", "POST /api/v1/forward_backward")
    assert '"/api/v1/forward_backward"' in line("a", body.at_a) and '"/api/v1/forward_backward"' in line("b", body.at_b)
    switch = _find(diff, "client config", "removed", "proto_write_fwdbwd")
    assert "proto_write_fwdbwd" in line("a", switch.at_a)


def test_sdk_diff_writes_markdown_html_and_json_and_fails_on_breaking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sdk-diff", "0.24.1", "0.25.0", "--output", str(tmp_path), "--fail-on", "breaking"]) == 1
    data = json.loads((tmp_path / "sdk-diff-0.24.1-0.25.0.json").read_text())
    assert data["breaking"]["servers"] >= 3 and data["breaking"]["ports"] >= 2
    assert any(c["subject"] == "POST /api/v1/forward" and c["ports"] == "breaking" for c in data["changes"])
    assert "## Breaking for servers" in (tmp_path / "sdk-diff-0.24.1-0.25.0.md").read_text()
    assert "<code>POST /api/v1/forward</code>" in (tmp_path / "sdk-diff-0.24.1-0.25.0.html").read_text()
    capsys.readouterr()
    assert main(["sdk-diff", "0.38.0", "0.38.0", "--fail-on", "breaking"]) == 0
    assert "0 changes, 0 breaking for servers" in capsys.readouterr().out
    assert main(["sdk-diff", "0.26.0", "0.26.2", "--fail-on", "ports", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["breaking"]["ports"] == 0


def test_sdk_diff_usage_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sdk-diff", "0.24", "0.25.0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["tinker-harness sdk-diff: '0.24' is not a release version (like 0.38.0)"]
    with pytest.raises(SystemExit) as exit_info:
        main(["sdk-diff", "0.24.1", "0.25.0", "--fail-on", "sometimes"])
    assert exit_info.value.code == 2


def test_the_committed_generations_doc_is_up_to_date() -> None:
    assert (ROOT / DOC_PATH).read_text(encoding="utf-8") == render_generations_doc(), (
        "run: tinker-harness sdk-generations --write"
    )


def test_the_nox_matrix_runs_every_break_point() -> None:
    """noxfile parses BREAK_POINTS from contracts' source; load it as nox would and compare."""
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    noxfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(noxfile)
    assert noxfile.SDK_VERSIONS == BREAK_POINTS
