"""Scenario files: the catalogue's coverage, and bad files reported with file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinker_harness.scenarios.catalog import load_catalog, load_suite_file
from tinker_harness.scenarios.schema import STATUS_ROWS
from tinker_harness.scenarios.yaml_lines import ScenarioFileError

CATALOG = load_catalog()


def test_catalogue_has_sixty_documented_scenarios() -> None:
    assert len(CATALOG.scenarios) >= 60
    for scenario in CATALOG.scenarios:
        assert scenario.purpose and scenario.protocol and scenario.requires, scenario.id


def test_every_checklist_item_and_status_row_is_covered() -> None:
    refs = {ref for s in CATALOG.scenarios for ref in s.protocol}
    items = {int(m.group(1)) for r in refs if (m := re.match(r"^§16\.(\d+)$", r))}
    assert items == set(range(1, 13))
    rows = {r.split(":")[1].split("/")[0] for r in refs if r.startswith("§15.3:")}
    assert rows == set(STATUS_ROWS)


GOOD_STEP = "      - create_training_client\n"
HEADER = "suite: t\nscenarios:\n  - id: a/b\n    purpose: A scenario under test here.\n    protocol: ['§6.3']\n"


@pytest.mark.parametrize(
    ("body", "line", "field", "problem"),
    [
        ("    steps:\n      - forward_backward: {data: nine}\n", 7, "steps.0.args.data", "Input should be"),
        ("    steps:\n" + GOOD_STEP + "      - frobnicate: {}\n", 8, "steps.1", "unknown step 'frobnicate'"),
        ("    steps:\n" + GOOD_STEP + "      - optim_step:\n        expect_error: teapot\n", 8, "steps.1",
         "unknown error kind"),
        ("    requires: [flying]\n    steps:\n" + GOOD_STEP, 6, "requires.0", "neither a capability"),
        ("    steps:\n" + GOOD_STEP + "    wire:\n      - select: {endpoint: nowhere}\n", 9, "wire.0.select.endpoint",
         "unknown endpoint"),
        ("    steps:\n" + GOOD_STEP + "    steps:\n" + GOOD_STEP, 8, "steps", "duplicate key"),
        ("    steps:\n      - await: {ref: nothing}\n", 7, "steps.0.args.ref", "not the name of an earlier step"),
    ],
)  # fmt: skip
def test_bad_file_names_file_line_and_field(tmp_path: Path, body: str, line: int, field: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(HEADER + body)
    with pytest.raises(ScenarioFileError) as caught:
        load_suite_file(path)
    error = caught.value
    assert (error.source, error.line) == (str(path), line), str(error)
    assert field in error.where and problem in error.problem, str(error)
    assert str(error).startswith(f"{path}:{line}: ")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("suite: t\nscenarios:\n  - id: a/b\n   purpose: [unclosed\n")
    with pytest.raises(ScenarioFileError, match=r"broken\.yaml:\d+: not valid YAML"):
        load_suite_file(path)


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    for name in ("one.yaml", "two.yaml"):
        (tmp_path / name).write_text(HEADER + "    steps:\n" + GOOD_STEP)
    with pytest.raises(ScenarioFileError, match=r"two\.yaml:3: scenario 'a/b' id: already defined at .*one\.yaml:3"):
        load_catalog(tmp_path)
