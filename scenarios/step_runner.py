"""Executing the steps of one scenario: adapter operations over the protocol, runner operations in place.

Before a step reaches the adapter its arguments are made concrete: dataset and prompt names
become token ids (:mod:`scenarios.datasets`) and ``$name.path`` references become values of earlier
results. The answer is then compared with the step's expectation: the result summary against
``expect`` (:mod:`scenarios.matchers`), or the normalised error kind against ``expect_error``. An
``unsupported`` answer skips the scenario; any other mismatch raises :class:`StepFailed` carrying
expected and observed text for the report.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from tinker_harness.mock_server.faults.plan import FaultPlan
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.scenarios import datasets
from tinker_harness.scenarios.adapter_process import AdapterProcess
from tinker_harness.scenarios.matchers import MISSING, check_value, lookup
from tinker_harness.scenarios.protocol import RUNNER_OPS, ResultMessage, StepMessage
from tinker_harness.scenarios.schema import Scenario, Select
from tinker_harness.scenarios.steps import AdvanceClock, AnyStep, Await, FetchUrls, SetFaults, Sleep, WaitFor
from tinker_harness.scenarios.wire import StepMarks, describe, select

__all__ = ["StepFailed", "StepRunner", "StepSkipped", "resolve_refs"]

_REF = re.compile(r"^\$([a-z][a-z0-9_]*)(?:\.(.+))?$")


class StepSkipped(Exception):
    """The adapter answered ``unsupported``: the scenario is skipped, not failed."""


class StepFailed(Exception):
    """A step's outcome differs from its expectation."""

    def __init__(self, title: str, expected: str, observed: list[str], problems: list[str] | None = None) -> None:
        super().__init__(title)
        self.title = title
        self.expected = expected
        self.observed = observed
        self.problems = problems or []


def resolve_refs(value: Any, results: dict[str, dict[str, Any]]) -> Any:
    """Replace every ``"$name.path"`` string inside ``value`` with that field of result ``name``."""
    if isinstance(value, str):
        match = _REF.match(value)
        if match is None:
            return value
        name, path = match.groups()
        if name not in results:
            raise KeyError(f"{value}: no result named {name!r} yet")
        found = results[name] if path is None else lookup(results[name], path)
        if found is MISSING:
            raise KeyError(f"{value}: the result of {name!r} has no field {path!r} (it was {results[name]!r})")
        return found
    if isinstance(value, dict):
        return {k: resolve_refs(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(v, results) for v in value]
    return value


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 600 else text[:597] + "..."


class StepRunner:
    """Runs the steps of one scenario against one adapter process and mock server."""

    def __init__(
        self, scenario: Scenario, process: AdapterProcess, mock: MockTinker, marks: StepMarks, *, deadline: float
    ) -> None:
        self.scenario = scenario
        self.process = process
        self.mock = mock
        self.marks = marks
        self.deadline = deadline
        self.results: dict[str, dict[str, Any]] = {}
        self.answers: dict[int, ResultMessage] = {}  # step index -> the adapter's answer
        self._runner_ops: dict[str, Callable[[AnyStep], None]] = {
            "advance_clock": self._advance_clock,
            "sleep": self._sleep,
            "wait_for": self._wait_for,
            "set_faults": self._set_faults,
            "fetch_urls": self._fetch_urls,
        }

    def run_all(self) -> None:
        for index, step in enumerate(self.scenario.steps):
            name = step.as_ or f"step{index}"
            self.marks.start[name] = self.mock.journal.last_seq
            if step.op in RUNNER_OPS:
                self._runner_ops[step.op](step)
            else:
                self._adapter_step(index, step)
            self.marks.end[name] = self.mock.journal.last_seq

    def _label(self, index: int, step: AnyStep) -> str:
        return f"step {index + 1} ({step.op}{' as ' + step.as_ if step.as_ else ''})"

    def _concrete_args(self, index: int, step: AnyStep) -> dict[str, Any]:
        try:
            args: dict[str, Any] = resolve_refs(step.wire_args(), self.results)
        except KeyError as exc:
            label = f"{self._label(index, step)}: unresolved reference"
            raise StepFailed(label, "an earlier result", [str(exc)]) from None
        if "data" in args and isinstance(args["data"], str):
            args["data"] = datasets.dataset(args["data"])
        if "prompt" in args:
            args["prompt"] = datasets.prompt(args["prompt"])
        return args

    def _adapter_step(self, index: int, step: AnyStep) -> None:
        label = self._label(index, step)
        message = StepMessage.model_validate(
            {"id": index + 1, "op": step.op, "args": self._concrete_args(index, step), "as": step.as_,
             "await": step.await_}
        )  # fmt: skip
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise StepFailed(f"{label}: scenario timeout", f"done within {self.scenario.timeout:g} s", ["time ran out"])
        answer = self.process.request(message, timeout=min(step.timeout, remaining))
        self.answers[index] = answer
        if isinstance(step, Await):
            self._record(step.args.ref, answer)
        elif step.as_ is not None:
            self._record(step.as_, answer)
        self._compare(label, step, answer)

    def _record(self, name: str, answer: ResultMessage) -> None:
        if answer.ok and answer.result is not None:
            self.results[name] = answer.result

    def _compare(self, label: str, step: AnyStep, answer: ResultMessage) -> None:
        if answer.error is not None and answer.error.kind == "unsupported":
            raise StepSkipped(f"{label}: the adapter cannot express it: {answer.error.message}")
        wanted = [step.expect_error] if isinstance(step.expect_error, str) else step.expect_error
        if wanted is not None:
            if answer.error is None:
                raise StepFailed(
                    f"{label}: expected an error", f"error kind {' or '.join(wanted)}", [f"ok: {_short(answer.result)}"]
                )
            if answer.error.kind not in wanted:
                raise StepFailed(
                    f"{label}: wrong error kind",
                    f"error kind {' or '.join(wanted)}",
                    [f"{answer.error.kind} (status {answer.error.status}): {answer.error.message}"],
                )
            return
        if answer.error is not None:
            raise StepFailed(
                f"{label} failed",
                "a result" + (f" matching {_short(step.expect)}" if step.expect else ""),
                [f"{answer.error.kind} (status {answer.error.status}): {answer.error.message}"],
            )
        if step.expect is not None:
            try:
                expect = resolve_refs(step.expect, self.results)
            except KeyError as exc:
                raise StepFailed(f"{label}: unresolved reference in expect", "an earlier result", [str(exc)]) from None
            problems = check_value(answer.result or {}, expect)
            if problems:
                raise StepFailed(f"{label}: unexpected result", _short(expect), [_short(answer.result)], problems)

    # --- runner operations ----------------------------------------------------------------------

    def _advance_clock(self, step: AnyStep) -> None:
        assert isinstance(step, AdvanceClock)
        self.mock.clock.advance(step.args.seconds)

    def _sleep(self, step: AnyStep) -> None:
        assert isinstance(step, Sleep)
        time.sleep(step.args.seconds)

    def _wait_for(self, step: AnyStep) -> None:
        assert isinstance(step, WaitFor)
        criteria = Select.model_validate(step.args.select)
        deadline = time.monotonic() + step.args.timeout
        while True:
            seen = select(self.mock.journal.entries(), criteria, self.marks)
            if len(seen) >= step.args.count:
                return
            if time.monotonic() >= deadline:
                raise StepFailed(
                    f"wait_for: {step.args.count} exchange(s) matching {criteria.model_dump(exclude_none=True)}",
                    f"within {step.args.timeout:g} s",
                    [describe(e) for e in seen] or ["(none arrived)"],
                )
            time.sleep(0.05)

    def _set_faults(self, step: AnyStep) -> None:
        assert isinstance(step, SetFaults)
        seed = step.args.seed if step.args.seed is not None else self.scenario.setup.fault_seed
        self.mock.server.faults.load(FaultPlan(seed=seed, rules=list(step.args.rules)))

    def _fetch_urls(self, step: AnyStep) -> None:
        assert isinstance(step, FetchUrls)
        try:
            value = resolve_refs(step.args.ref, self.results)
        except KeyError as exc:
            raise StepFailed("fetch_urls: unresolved reference", "an earlier result", [str(exc)]) from None
        urls = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else [value]
        if not urls:
            raise StepFailed("fetch_urls: no URLs", f"URLs in {step.args.ref}", [repr(value)])
        for url in urls:
            response = httpx.get(str(url), timeout=30)  # signed URLs need no credentials (§16.11)
            if response.status_code != 200:
                raise StepFailed("fetch_urls: download failed", f"HTTP 200 for {url}", [f"HTTP {response.status_code}"])
