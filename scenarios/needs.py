"""What a scenario needs from the server it runs against, derived from its setup, steps and checks.

The conformance runner gives every scenario a mock of its own, so a scenario may lean on things
only our mock offers. A scenario run against someone else's server (``tinker-harness certify``)
can use only the public API, so the runner must know, per scenario, what it leans on:

* ``fault_plan`` — a ``setup.faults`` plan or a ``set_faults`` step (the mock misbehaves on purpose);
* ``clock_control`` — a frozen clock or an ``advance_clock`` step (the mock's injectable clock);
* ``server_config`` — ``setup.server`` flags other than the defaults (a mock configured for it);
* ``fresh_server`` — a listing step (``list_training_runs``, ``list_user_checkpoints``,
  ``list_sessions``) whose expectation counts the whole listing (``length``, ``total_count``): it
  holds only on a server with no data but the scenario's own;
* ``journal`` — wire checks or ``wait_for`` steps: they read a journal of the exchanges. The mock
  keeps one; a journalling proxy in front of any server can keep one too.

Nothing here is a hand-kept list: adding a scenario with a fault plan makes it need ``fault_plan``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, Final, Literal

from tinker_harness.scenarios.schema import Scenario
from tinker_harness.scenarios.steps import AdvanceClock, SetFaults, WaitFor

__all__ = ["NEEDS", "Need", "portable", "server_needs"]

Need = Literal["fault_plan", "clock_control", "server_config", "fresh_server", "journal"]
NEEDS: Final[dict[Need, str]] = {
    "fault_plan": "a fault plan (the server misbehaves on purpose)",
    "clock_control": "control of the server's clock (frozen or advanced)",
    "server_config": "a server configured for the scenario",
    "fresh_server": "a server holding no data but the scenario's own (listings are counted whole)",
    "journal": "a journal of the exchanges (wire checks, waiting for requests)",
}


def server_needs(scenario: Scenario) -> dict[Need, str]:
    """Each need of ``scenario`` with the reason, e.g. ``{"fault_plan": "setup.faults: 2 rules"}``."""
    needs: dict[Need, str] = {}
    setup = scenario.setup
    fault_steps = [i + 1 for i, step in enumerate(scenario.steps) if isinstance(step, SetFaults)]
    if setup.faults or fault_steps:
        parts = [f"setup.faults: {len(setup.faults)} rule(s)"] if setup.faults else []
        parts += [f"set_faults at step {', '.join(map(str, fault_steps))}"] if fault_steps else []
        needs["fault_plan"] = "; ".join(parts)
    clock_steps = [i + 1 for i, step in enumerate(scenario.steps) if isinstance(step, AdvanceClock)]
    if setup.clock == "frozen" or clock_steps:
        parts = ["setup.clock: frozen"] if setup.clock == "frozen" else []
        parts += [f"advance_clock at step {', '.join(map(str, clock_steps))}"] if clock_steps else []
        needs["clock_control"] = "; ".join(parts)
    flags = sorted(setup.server.model_dump(exclude_defaults=True))
    if flags:
        needs["server_config"] = f"setup.server: {', '.join(flags)}"
    counted = [i + 1 for i, step in enumerate(scenario.steps) if step.op in LISTINGS and _counts(step.expect)]
    if counted:
        needs["fresh_server"] = f"whole listing counted at step {', '.join(map(str, counted))}"
    waits = [i + 1 for i, step in enumerate(scenario.steps) if isinstance(step, WaitFor)]
    if scenario.wire or waits:
        parts = [f"{len(scenario.wire)} wire check(s)"] if scenario.wire else []
        parts += [f"wait_for at step {', '.join(map(str, waits))}"] if waits else []
        needs["journal"] = "; ".join(parts)
    return needs


LISTINGS: Final = frozenset({"list_training_runs", "list_user_checkpoints", "list_sessions"})


def _counts(expect: Any) -> bool:
    """Whether an expectation constrains a size: a ``length`` matcher or a ``total_count`` anywhere in it."""
    if isinstance(expect, dict):
        return any(k in ("length", "total_count") or _counts(v) for k, v in expect.items())
    if isinstance(expect, list):
        return any(_counts(v) for v in expect)
    return False


def portable(scenarios: Iterable[Scenario], provided: Collection[Need] = ()) -> list[Scenario]:
    """The scenarios whose every need is in ``provided`` (``()``: those that need nothing of the server)."""
    return [s for s in scenarios if set(server_needs(s)) <= set(provided)]
