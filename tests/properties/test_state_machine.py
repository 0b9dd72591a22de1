"""The state machine of :mod:`tinker_machine` at a fixed seed, with a check that every rule fired.

``TINKER_HARNESS_FUZZ_EXAMPLES`` and ``TINKER_HARNESS_FUZZ_SEED`` (the ``fuzz`` nox session) raise the
budget and pick the seed; a failure is then also written as a runnable reproducer (see :mod:`fuzzing`).
"""

from __future__ import annotations

import inspect

import tinker_machine
from fuzzing import budget, reproducer_on_failure
from hypothesis import HealthCheck, seed, settings
from hypothesis.stateful import run_state_machine_as_test

# Every rule by name; set_visibility reports its two directions separately.
RULES = (
    {
        name
        for name, member in inspect.getmembers(tinker_machine.TinkerMachine)
        if hasattr(member, "hypothesis_stateful_rule")
    }
    - {"set_visibility"}
) | {"publish", "unpublish"}


def test_the_mock_keeps_every_invariant_under_random_programs() -> None:
    plan = budget(examples=30)
    tinker_machine.FIRED.clear()
    with reproducer_on_failure("state-machine", plan, "from tinker_machine import TinkerMachine"):
        machine = tinker_machine.TinkerMachine if plan.seed is None else seed(plan.seed)(tinker_machine.TinkerMachine)
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=plan.examples,
                stateful_step_count=30,
                deadline=None,
                derandomize=plan.seed is None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                print_blob=True,
            ),
            _min_steps=10,
        )
    assert set(tinker_machine.FIRED) >= RULES, f"rules that never fired: {sorted(RULES - set(tinker_machine.FIRED))}"
