"""The one journal normaliser: ids, times and redaction tags made comparable across runs."""

from __future__ import annotations

from tinker_harness.mock_server.journal_normalise import JournalNormaliser

RUN = "3f2b8c1e-0a4d-4e6f-9b1a-2c3d4e5f6a7b"
OTHER = "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"


def test_ids_times_and_redactions_become_placeholders_everywhere() -> None:
    value = {
        "path": f"/api/v1/training_runs/{RUN}:train:0",
        "nested": [{"when": "2026-12-05T09:01:08.123Z", "key": "<redacted:sha256:ab12>"}],
        "uri": f"tinker://{OTHER}/weights/final",
        "n": 3,
    }
    assert JournalNormaliser().value(value) == {
        "path": "/api/v1/training_runs/<id>:train:0",
        "nested": [{"when": "<ts>", "key": "<redacted>"}],
        "uri": "tinker://<id>/weights/final",
        "n": 3,
    }


def test_numbered_ids_keep_which_is_which_across_calls() -> None:
    normaliser = JournalNormaliser(number_ids=True)
    assert normaliser.text(f"{RUN} {OTHER}") == "<id0> <id1>"
    assert normaliser.text(f"poll {OTHER}") == "poll <id1>"
    assert JournalNormaliser(number_ids=True).text(OTHER) == "<id0>"  # each instance numbers afresh


def test_a_view_reshapes_a_mapping_before_it_is_normalised() -> None:
    def view(value: dict[str, object]) -> object | None:
        return {"seen": value["wrapped"]} if set(value) == {"wrapped"} else None

    assert JournalNormaliser().value([{"wrapped": RUN}], view) == [{"seen": "<id>"}]


def test_an_extra_rewrite_runs_first() -> None:
    normaliser = JournalNormaliser(extra=lambda text: text.replace("+local", ""))
    assert normaliser.text(f"0.38.0+local {RUN}") == "0.38.0 <id>"
