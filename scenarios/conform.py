"""Running a catalogue against one or more adapters with a worker pool (``tinker-harness conform``).

Each adapter command is first started once to read its hello (name, version, capabilities). Then
every selected scenario runs on a worker thread with its own mock server (in-process, on a port of
its own) and a clean adapter (:func:`scenarios.runner.run_scenario`), so scenarios are isolated:
their own session, fault plan and clock. An adapter whose hello says ``reset`` is started once per
worker and reset between scenarios (one client per scenario, one process for many); others are
started for every scenario. A worker whose adapter broke the protocol starts a new one. Slow
scenarios (real-time sleeps, heartbeats) are started first so the pool drains evenly.
``on_result`` is called as each scenario finishes (for the progress bar). ``targets``, when given,
makes each scenario's server instead of a mock (``tinker-harness certify``: a proxy to anyone's).

:func:`keep_journals` writes every scenario's full mock journal in the layout ``tinker-harness
parity --journals`` reads: ``DIR/python/<scenario>.jsonl`` for the official SDK's adapter (hello name
``python-sdk``), ``DIR/port/<scenario>.jsonl`` for any other adapter, the scenario id's ``/`` written
as ``__``, one JSON journal entry per line (the mock's JSONL sink format), plus ``DIR/adapters.json``
naming the adapter of each side.
"""

from __future__ import annotations

import json
import queue
import shlex
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from tinker_harness.scenarios.adapter_process import AdapterProcess, AdapterProtocolError, adapters_aborted
from tinker_harness.scenarios.protocol import Hello
from tinker_harness.scenarios.runner import ScenarioResult, Target, adapter_env_plain, run_scenario
from tinker_harness.scenarios.schema import Scenario
from tinker_harness.scenarios.steps import Sleep, WaitFor

__all__ = [
    "JOURNALED",
    "OFFICIAL_SDK",
    "AdapterRun",
    "estimate_seconds",
    "journal_file_name",
    "journal_side",
    "keep_journals",
    "probe",
    "run_adapter",
]

OFFICIAL_SDK = "python-sdk"  # the hello name of scenarios/adapters/python_sdk.py
JOURNALED = ("pass", "fail", "error")  # statuses whose scenario really ran (not skipped or unsupported)


@dataclass
class AdapterRun:
    """The results of one adapter over the selected scenarios, in catalogue order."""

    command: list[str]
    hello: Hello
    results: list[ScenarioResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.hello.name} {self.hello.version}"


def probe(command: Sequence[str], timeout: float = 60.0) -> Hello:
    """Start the adapter once and read its hello; AdapterProtocolError when it cannot say hello."""
    with tempfile.TemporaryDirectory(prefix="conform-probe-") as work:
        process = AdapterProcess(command, adapter_env_plain(), Path(work) / "stderr.txt")
        try:
            process.start()
            return process.hello(timeout)
        except AdapterProtocolError as exc:
            tail = " ".join(process.stderr_tail().split())  # one line: the CLI prints it as its message
            raise AdapterProtocolError(f"{exc}{'; stderr: ' + tail[-400:] if tail else ''}") from None
        finally:
            process.stop(5)


def estimate_seconds(scenario: Scenario) -> float:
    """A rough duration, to start the slow scenarios first."""
    total = 1.0
    for step in scenario.steps:
        if isinstance(step, Sleep):
            total += step.args.seconds
        elif isinstance(step, WaitFor) and "session_heartbeat" in str(step.args.select):
            total += 10.0 * step.args.count
    return total + 5.0 * sum(1 for r in scenario.requires if r == "billing_pause")


def split_command(text: str) -> list[str]:
    command = shlex.split(text)
    if not command:
        raise ValueError("the adapter command is empty")
    return command


Targets = Callable[[], AbstractContextManager[Target]]


def run_adapter(
    scenarios: Sequence[Scenario],
    command: list[str],
    hello: Hello,
    *,
    jobs: int,
    work_dir: Path,
    on_result: Callable[[ScenarioResult], None] | None = None,
    reuse: bool = True,
    targets: Targets | None = None,
) -> AdapterRun:
    """Run ``scenarios`` against one adapter with ``jobs`` workers; results keep catalogue order."""
    started = time.monotonic()
    work_dir.mkdir(parents=True, exist_ok=True)
    order = sorted(scenarios, key=estimate_seconds, reverse=True)
    done: dict[str, ScenarioResult] = {}
    if reuse and hello.reset:
        _run_reusing(order, command, hello, jobs, work_dir, targets, done, on_result)
    else:
        with ThreadPoolExecutor(max_workers=max(jobs, 1), thread_name_prefix="conform") as pool:
            futures = [pool.submit(_run_one, s, command, hello, work_dir, targets, None) for s in order]
            for future in as_completed(futures):
                result = future.result()
                done[result.scenario_id] = result
                if on_result is not None:
                    on_result(result)
    return AdapterRun(command, hello, [done[s.id] for s in scenarios], time.monotonic() - started)


def _run_one(
    scenario: Scenario,
    command: list[str],
    hello: Hello,
    work_dir: Path,
    targets: Targets | None,
    adapter: AdapterProcess | None,
) -> ScenarioResult:
    with targets() if targets is not None else nullcontext() as target:
        return run_scenario(scenario, command, hello, work_dir=work_dir, target=target, adapter=adapter)


def _run_reusing(
    order: Sequence[Scenario],
    command: list[str],
    hello: Hello,
    jobs: int,
    work_dir: Path,
    targets: Targets | None,
    done: dict[str, ScenarioResult],
    on_result: Callable[[ScenarioResult], None] | None,
) -> None:
    """``jobs`` workers, each with one adapter process kept across its scenarios."""
    todo: queue.Queue[Scenario] = queue.Queue()
    for scenario in order:
        todo.put(scenario)
    requires = sorted({r for s in order for r in s.requires})
    lock = threading.Lock()

    def worker(number: int) -> None:
        adapter: AdapterProcess | None = None
        try:
            while True:
                try:
                    scenario = todo.get_nowait()
                except queue.Empty:
                    return
                if adapter is None:
                    adapter = _start_adapter(command, hello, requires, work_dir / f"adapter-{number}.stderr.txt")
                result = _run_one(scenario, command, hello, work_dir, targets, adapter)
                if result.status == "error" or not adapter.alive:
                    adapter.stop(5)
                    adapter = None
                with lock:
                    done[result.scenario_id] = result
                    if on_result is not None:
                        on_result(result)
        except Exception:
            if not adapters_aborted():  # an interrupted run ends quietly; the interrupt is reported once
                raise
        finally:
            if adapter is not None:
                adapter.stop()

    threads = [threading.Thread(target=worker, args=(n,), name=f"conform-{n}") for n in range(max(jobs, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _start_adapter(command: list[str], hello: Hello, requires: list[str], stderr: Path) -> AdapterProcess:
    """An adapter kept for many scenarios, told every requirement it may meet (it may load torch once)."""
    env = adapter_env_plain()
    env["TINKER_HARNESS_REQUIRES"] = ",".join(requires)
    process = AdapterProcess(command, env, stderr).start()
    again = process.hello()
    if (again.name, again.version) != (hello.name, hello.version):
        process.stop(5)
        raise AdapterProtocolError(
            f"the adapter is now {again.name} {again.version}, earlier {hello.name} {hello.version}"
        )
    return process


def journal_side(hello: Hello) -> str:
    """``python`` for the official SDK's adapter, ``port`` for any other (the two sides of a wire diff)."""
    return "python" if hello.name == OFFICIAL_SDK else "port"


def journal_file_name(scenario_id: str) -> str:
    return scenario_id.replace("/", "__") + ".jsonl"


def keep_journals(root: Path, runs: Sequence[AdapterRun]) -> list[Path]:
    """Write each run's scenario journals under ``root/<side>/``; stale ``*.jsonl`` there are removed.

    Only scenarios that ran (pass, fail, error) have a journal; ValueError when two runs share a side.
    """
    sides: dict[str, AdapterRun] = {}
    for run in runs:
        side = journal_side(run.hello)
        if side in sides:
            raise ValueError(
                f"--journals keeps one official SDK (python/) and one port (port/); "
                f"{sides[side].label} and {run.label} would both be {side}/"
            )
        sides[side] = run
    written: list[Path] = []
    for side, run in sides.items():
        folder = root / side
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.jsonl"):
            stale.unlink()
        for result in run.results:
            if result.status not in JOURNALED or not result.entries:
                continue
            path = folder / journal_file_name(result.scenario_id)
            lines = (json.dumps(entry.to_json(), default=str) for entry in result.entries)
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            written.append(path)
    index = {s: {"name": r.hello.name, "version": r.hello.version, "command": r.command} for s, r in sides.items()}
    (root / "adapters.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return written
