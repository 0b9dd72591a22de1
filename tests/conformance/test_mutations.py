"""Mutation check: every deliberate defect of the reference client is caught by a scenario.

Each mutation runs only the scenarios aimed at it (the full catalogue would catch them too, at 16x
the cost); at least one must fail, and the same scenarios pass without the mutation (test_adapters).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance_support import REFERENCE, explain, outcomes, run_catalogue

from tinker_harness.scenarios.adapters.mutations import MUTATIONS

TARGETS = {
    "heartbeat-path-changed": ["sessions/expired-session-is-gone"],
    "request-field-renamed": ["training/optimizer-parameters"],
    "idempotency-key-per-attempt": ["submit/408-retried-same-key"],
    "seq-id-off-by-one": ["training/seq-ids-start-at-one"],
    "accept-without-protobuf": ["futures/poll/headers"],
    "finish-reason-wrong": ["sessions/finish-on-close"],
    "dynamic-config-skipped": ["bootstrap/startup-order"],
    "api-key-as-bearer": ["bootstrap/api-key-header"],
    "request-type-dropped": ["futures/poll/headers"],
    "sample-429-new-seq-id": ["sampling/asample-429-backpressure"],
    "poll-backoff-removed": ["futures/poll/429-backs-off"],
    "poll-409-retried": ["futures/poll/409-is-fatal"],
    "heartbeat-survives-410": ["sessions/heartbeat-stops-on-410"],
    "submit-5xx-not-retried": ["submit/5xx-retried-same-key"],
    "retry-after-ignored": ["submit/429-honours-retry-after"],
    "no-410-resubmit": ["sampling/expired-sample-resubmitted"],
}


def test_there_are_at_least_ten_distinct_mutations_all_targeted() -> None:
    assert len(MUTATIONS) >= 10
    assert set(TARGETS) == set(MUTATIONS)
    assert len({m.rule for m in MUTATIONS.values()}) == len(MUTATIONS)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_is_caught(name: str, tmp_path: Path) -> None:
    report = run_catalogue([*REFERENCE, "--mutation", name], tmp_path, TARGETS[name])
    assert report["adapters"][0]["version"].endswith(f"+mutation.{name}")
    results = outcomes(report)
    assert set(results) == set(TARGETS[name])
    caught = [i for i, o in results.items() if o in ("fail", "error")]
    assert caught, f"mutation {name} ({MUTATIONS[name].rule}) survived: " + explain(report, TARGETS[name][0])
