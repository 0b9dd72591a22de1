"""scenarios/known_failing/tinkex-0.4.0.yaml against the recorded run of real tinkex v0.4.0
(tests/fixtures/tinkex-0.4.0): the list is exactly that run's failures, and each entry names the
tinkex behaviour behind it with a ``file:line`` of a tinkex v0.4.0 checkout."""

from __future__ import annotations

import re

from conformance_support import ROOT
from tinkex_data import corrected_run, public_functions

from tinker_harness.scenarios.known_failing import load_known_failing

LIST = ROOT / "scenarios" / "known_failing" / "tinkex-0.4.0.yaml"
CITATION = re.compile(r"(lib/tinkex/[\w/]+\.ex):(\d+)((?:, :\d+)*)")
# Files the list cites that define no public function (so public-functions.json does not name them).
TYPE_ONLY_FILES = {"lib/tinkex/types/create_session_request.ex"}


def _tinkex_outcomes() -> dict[str, str]:
    tinkex = next(a for a in corrected_run()["adapters"] if a["name"] == "tinkex")
    return {r["id"]: r["status"] for r in tinkex["results"]}


def test_the_list_is_exactly_what_tinkex_failed() -> None:
    outcomes = _tinkex_outcomes()
    ratchet = load_known_failing(LIST).ratchet(outcomes, "tinkex", "0.4.0")
    assert ratchet.new == [] and ratchet.closed == []
    assert ratchet.known == sum(status in ("fail", "error") for status in outcomes.values()) == 73


def test_the_list_applies_to_tinkex_0_4_0_only() -> None:
    known = load_known_failing(LIST)
    failing = [i for i, status in _tinkex_outcomes().items() if status == "fail"]
    assert all(known.reason(i, "tinkex", "0.4.0") for i in failing)
    assert not any(known.reason(i, "tinkex", "0.5.0") for i in failing)
    assert not any(known.reason(i, "python-sdk", "0.38.0") for i in failing)


def test_every_entry_cites_tinkex_source() -> None:
    files = {f["loc"].rsplit(":", 1)[0] for f in public_functions()} | TYPE_ONLY_FILES
    public_at = {f["loc"]: f["function"] for f in public_functions()}
    for entry in load_known_failing(LIST).entries:
        citations = CITATION.findall(entry.reason)
        assert citations, f"{entry.id}: no tinkex file:line in {entry.reason!r}"
        for path, line, _more in citations:
            assert path in files, f"{entry.id}: {path} is not a tinkex v0.4.0 file"
            # a citation on a public definition names the function the reason is about
            function = public_at.get(f"{path}:{line}")
            if function == "from_json":
                assert "from_json" in entry.reason


def test_the_main_causes_are_counted_as_in_the_recorded_run() -> None:
    reasons = [e.reason for e in load_known_failing(LIST).entries]
    assert sum("process_uuid" in r for r in reasons) == 32
    assert sum('{"metrics": {}}' in r for r in reasons) == 22
    assert sum('failed future {"error", "category"}' in r for r in reasons) == 3
