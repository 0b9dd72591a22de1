"""Running one scenario against one adapter, on a mock server of its own.

The scenario's mock server gets the scenario's configuration, clock (real, or frozen and moved
only by ``advance_clock``) and fault plan. The adapter process is started with
``TINKER_BASE_URL``/``TINKER_API_KEY`` for that server, plus two hints: ``TINKER_HARNESS_SCENARIO``
(the id) and ``TINKER_HARNESS_REQUIRES`` (the scenario's requirements, comma-separated, so an
adapter can skip loading optional heavy dependencies). Steps run in order; runner operations
(``advance_clock``, ``sleep``, ``wait_for``, ``set_faults``, ``fetch_urls``) act on the server.
The first step whose outcome differs from the expectation ends the scenario; otherwise the wire
checks run on the journal once the adapter has exited. Outcomes are :class:`ScenarioResult`, which
also keeps the adapter's answer to each step and the journal, for comparing two adapters' runs.

Two variations: ``target`` runs the scenario against a server that is already running (anyone's,
seen through a journal of its exchanges; a scenario needing more of the server than that, such as
a fault plan, is unsupported there, :mod:`scenarios.needs`); ``adapter`` reuses a running adapter
that says ``reset`` in its hello instead of starting one (``reset`` before the steps with the
scenario's environment, and after them in place of the exit).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.faults.plan import FaultPlan
from tinker_harness.mock_server.journal import Journal, JournalEntry
from tinker_harness.mock_server.local import MockTinker, start_mock
from tinker_harness.scenarios.adapter_process import AdapterProcess, AdapterProtocolError
from tinker_harness.scenarios.needs import NEEDS, server_needs
from tinker_harness.scenarios.protocol import Hello, ResultMessage
from tinker_harness.scenarios.schema import Scenario, WireCheck
from tinker_harness.scenarios.step_runner import StepFailed, StepRunner, StepSkipped, resolve_refs
from tinker_harness.scenarios.wire import Failure, StepMarks, describe, evaluate, request_violations

__all__ = [
    "FROZEN_AT",
    "Failure",
    "ScenarioResult",
    "Status",
    "Target",
    "adapter_env",
    "adapter_env_plain",
    "run_scenario",
]

Status = Literal["pass", "fail", "error", "skip", "unsupported"]
FROZEN_AT = 1.8e9  # 2027-01-15: far from any real "now", so a frozen clock is obvious in journals
_SCRUBBED = ("TINKER_", "CLOUDFLARE_ACCESS_CLIENT_")


@dataclass
class ScenarioResult:
    scenario_id: str
    status: Status
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    reason: str | None = None  # why unsupported / skipped
    stderr: str = ""
    journal: list[str] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # named step results (``as:``)
    answers: dict[int, ResultMessage] = field(default_factory=dict)  # step index -> the adapter's answer
    entries: list[JournalEntry] = field(default_factory=list)  # the whole journal, once the adapter exited


class Target(Protocol):
    """The server a scenario's adapter talks to: our mock (clock and faults at hand) or anyone's (``None``)."""

    @property
    def env(self) -> dict[str, str]: ...

    @property
    def journal(self) -> Journal: ...

    @property
    def clock(self) -> Clock | None: ...

    @property
    def server(self) -> MockServer | None: ...


def adapter_env(mock: Target, scenario: Scenario, base: dict[str, str] | None = None) -> dict[str, str]:
    """The adapter's environment: ours minus any Tinker credentials, plus the scenario's server."""
    env = adapter_env_plain(base)
    env.update(mock.env)
    env["TINKER_HARNESS_SCENARIO"] = scenario.id
    env["TINKER_HARNESS_REQUIRES"] = ",".join(scenario.requires)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def adapter_env_plain(base: dict[str, str] | None = None) -> dict[str, str]:
    """Our environment minus any Tinker credentials (for the hello probe: no server yet)."""
    return {k: v for k, v in (base if base is not None else os.environ).items() if not k.startswith(_SCRUBBED)}


def missing_requirements(scenario: Scenario, hello: Hello) -> list[str]:
    capabilities = set(hello.capabilities)
    return [r.text for r in scenario.requirements if not r.satisfied_by(capabilities, hello.sdk_protocol)]


def _check(
    check: WireCheck, entries: list[JournalEntry], marks: StepMarks, results: dict[str, dict[str, Any]]
) -> Failure | None:
    """Evaluate one wire check after replacing its ``$name.path`` references with step results."""
    data = check.model_dump(mode="json", by_alias=True, exclude_none=True)
    try:
        resolved = WireCheck.model_validate(resolve_refs(data, results))
    except KeyError as exc:
        return Failure("unresolved reference in a wire check", "an earlier result", [str(exc)])
    return evaluate(resolved, entries, marks)


def _start(scenario: Scenario) -> MockTinker:
    setup = scenario.setup
    clock = Clock(frozen_at=FROZEN_AT) if setup.clock == "frozen" else None
    mock = start_mock(setup.server, clock)
    if setup.faults:
        mock.server.faults.load(FaultPlan(seed=setup.fault_seed, rules=list(setup.faults)))
    return mock


def _lacking(scenario: Scenario, target: Target) -> str | None:
    """Why ``scenario`` cannot run against a server that is not ours (None when it can)."""
    if target.server is not None:
        return None
    needs = {k: v for k, v in server_needs(scenario).items() if k != "journal"}
    if not needs:
        return None
    return "needs " + "; ".join(f"{NEEDS[k]}: {v}" for k, v in needs.items())


def run_scenario(
    scenario: Scenario,
    command: list[str],
    hello: Hello,
    *,
    work_dir: Path | None = None,
    target: Target | None = None,
    adapter: AdapterProcess | None = None,
) -> ScenarioResult:
    """Run ``scenario`` with a fresh (or the given, reset) adapter against a fresh mock server (or
    ``target``); never raises for adapter misbehaviour."""
    started = time.monotonic()
    missing = missing_requirements(scenario, hello)
    if missing:
        return ScenarioResult(scenario.id, "unsupported", reason=f"the adapter lacks {', '.join(missing)}")
    lacking = _lacking(scenario, target) if target is not None else None
    if lacking is not None:
        return ScenarioResult(scenario.id, "unsupported", reason=lacking)
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="conform-") as scratch:
            return run_scenario(scenario, command, hello, work_dir=Path(scratch), target=target, adapter=adapter)
    stderr_path = work_dir / (scenario.id.replace("/", "__") + ".stderr.txt")
    own = _start(scenario) if target is None else None
    server: Target = own if own is not None else target  # type: ignore[assignment]
    first_seq = server.journal.last_seq
    result = ScenarioResult(scenario.id, "pass")
    marks = StepMarks()
    try:
        process = adapter or AdapterProcess(command, adapter_env(server, scenario), stderr_path)
        stderr_from = process.stderr_size() if adapter is not None else 0
        steps = StepRunner(scenario, process, server, marks, deadline=started + scenario.timeout)
        try:
            if adapter is None:
                process.start()
                again = process.hello()
                if (again.name, again.version) != (hello.name, hello.version):
                    earlier = f"{hello.name} {hello.version}"
                    raise AdapterProtocolError(f"the adapter is now {again.name} {again.version}, earlier {earlier}")
            else:
                process.reset(adapter_env(server, scenario, {}))
            steps.run_all()
        except StepSkipped as skipped:
            result.status, result.reason = "skip", str(skipped)
        except StepFailed as failed:
            result.status = "fail"
            result.failures.append(Failure(failed.title, failed.expected, failed.observed, failed.problems))
        except AdapterProtocolError as exc:
            result.status = "error"
            result.failures.append(
                Failure("adapter protocol error", "a well-formed answer (docs/adapter-protocol.md)", [str(exc)])
            )
        finally:
            _finish(process, adapter is not None, result)
            result.stderr = process.stderr_tail(stderr_from)
        entries = server.journal.entries(since_seq=first_seq)
        result.results, result.answers, result.entries = steps.results, steps.answers, entries
        if result.status == "pass":
            checks = [_check(check, entries, marks, steps.results) for check in scenario.wire]
            if not scenario.allow_request_violations:
                checks.append(request_violations(entries))
            result.failures += [f for f in checks if f is not None]
            if result.failures:
                result.status = "fail"
        if result.status in ("fail", "error"):
            origin = entries[0].timestamp if entries else None
            result.journal = [describe(e, origin) for e in entries][:80]
    finally:
        if own is not None:
            own.stop()
        result.seconds = time.monotonic() - started
    return result


def _finish(process: AdapterProcess, reused: bool, result: ScenarioResult) -> None:
    """Stop a scenario's own adapter; reset a reused one (its clients end as at exit)."""
    if not reused:
        process.stop()
        return
    if result.status == "error" or not process.alive:
        return  # the caller replaces a broken adapter
    try:
        process.reset(adapter_env_plain({}))
    except AdapterProtocolError as exc:
        result.status = "error"
        result.failures.append(Failure("adapter protocol error", "an answer to reset", [str(exc)]))
