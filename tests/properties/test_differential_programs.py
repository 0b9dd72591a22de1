"""Differential property test: random scenario programs give the same outcomes and wire traces through
the reference client and the official SDK (protocol reference §20).

Hypothesis writes a *program*: a short, valid list of SDK-neutral scenario steps (:mod:`scenarios.steps`,
the vocabulary of the YAML catalogue) that creates training clients, trains, saves, restores, samples,
moves the frozen server clock, pipelines training calls (``await: false``, then awaits in any order) and
injects faults that both clients must survive or surface. The program runs once through the
reference-client adapter and once through the official-SDK adapter, each on a fresh mock with the same
seed and a frozen clock (:func:`scenarios.runner.run_scenario`). Then, step by step, the result summaries
(or the normalised error kinds and statuses) must be equal, and the two journals must match under
:func:`wire_compare.compare` with no allow-list rule beyond :data:`NEEDED`.

``TINKER_HARNESS_FUZZ_EXAMPLES`` / ``TINKER_HARNESS_FUZZ_SEED`` raise the budget and pick the seed
(:mod:`fuzzing`); a failure then leaves a runnable reproducer calling :func:`check_program`.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fuzzing import budget, reproducer_on_failure
from hypothesis import HealthCheck, example, given, note, seed, settings
from hypothesis import strategies as st
from wire_compare import ALLOWED, compare, polls_after_submission

from tinker_harness.scenarios.conform import probe
from tinker_harness.scenarios.protocol import ERROR_KINDS, Hello, ResultMessage
from tinker_harness.scenarios.runner import ScenarioResult, run_scenario
from tinker_harness.scenarios.schema import Scenario

pytestmark = pytest.mark.sdk

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = [sys.executable, "-m", "tinker_harness.scenarios.adapters.reference_client"]
SDK = [sys.executable, str(ROOT / "scenarios" / "adapters" / "python_sdk.py")]
REQUIRES = ["training", "sampling", "checkpoints", "pipelining", "create_via_load"]
# Allow-list rules a program's journals may need: the SDK's telemetry batches (no REST calls are generated).
NEEDED = {"telemetry"}
assert NEEDED <= set(ALLOWED)

Step = dict[str, Any]
Program = list[Step]

DATASETS = ("tiny", "three", "five")
PROMPTS = ("short", "sentence")
PIPELINED_OPS = ("forward_backward", "forward", "optim_step", "save_state", "save_weights_for_sampler")
# Errors a faulted step may end in: the test compares the kinds, so the runner accepts any real one.
ANY_ERROR = sorted(set(ERROR_KINDS) - {"unsupported"})
# The SDK's expiry exception carries no status (the reference client reports the poll's 410): compare the kind.
STATUS_IMPLIED = {"future_expired"}
CLOCK_BUDGET = 90  # clock seconds a program may advance: sessions expire after 120 s without a heartbeat
KINDS = (
    "create_training_client",
    "create_training_client_from_state",
    "forward_backward",
    "forward",
    "optim_step",
    "save_state",
    "save_weights_for_sampler",
    "create_sampling_client:base",
    "create_sampling_client:saved",
    "sample",
    "advance_clock",
    "pipelined",
    "fault",
)


# --- programs -----------------------------------------------------------------------------------


def _rule(match: dict[str, Any], action: dict[str, Any], times: int = 1) -> dict[str, Any]:
    return {"match": match, "times": times, "action": action}


def _poll_of(request_type: str) -> dict[str, Any]:
    return {"endpoint": "retrieve_future", "request_type": request_type}


# fault name -> (rule, the training step it hits, whether the step must fail)
FAULTS: dict[str, tuple[dict[str, Any], Step, bool]] = {
    "try-again": (
        _rule(_poll_of("OptimStep"), {"try_again": {"queue_state": "active"}}, times=3),
        {"op": "optim_step"},
        False,
    ),
    "poll-503": (
        _rule(_poll_of("ForwardBackward"), {"status": 503}, times=2),
        {"op": "forward_backward", "args": {"data": "tiny"}},
        False,
    ),
    "complete-metadata": (
        _rule(_poll_of("ForwardBackward"), {"complete_metadata": {"response_payload_size": 4096}}),
        {"op": "forward_backward", "args": {"data": "three"}},
        False,
    ),
    "fail-user": (
        _rule({"endpoint": "optim_step"}, {"fail": {"error": "learning rate too high", "category": "user"}}),
        {"op": "optim_step"},
        True,
    ),
    "fail-server": (
        _rule({"endpoint": "forward_backward"}, {"fail": {"error": "worker lost", "category": "server"}}),
        {"op": "forward_backward", "args": {"data": "tiny"}},
        True,
    ),
    "expire": (_rule(_poll_of("OptimStep"), {"expire": {}}), {"op": "optim_step"}, True),
    "poll-404": (_rule(_poll_of("OptimStep"), {"status": 404}), {"op": "optim_step"}, True),
    "submit-400": (
        _rule({"endpoint": "forward_backward"}, {"status": 400}),
        {"op": "forward_backward", "args": {"data": "five"}},
        True,
    ),
}


def fault_steps(name: str) -> list[Step]:
    """Install one fault, run the step it hits, then clear the plan."""
    rule, target, fails = FAULTS[name]
    hit = {**copy.deepcopy(target), **({"expect_error": ANY_ERROR} if fails else {})}
    return [{"op": "set_faults", "args": {"rules": [copy.deepcopy(rule)]}}, hit, {"op": "set_faults"}]


@dataclasses.dataclass
class _Builder:
    """What earlier steps made available, so that every drawn step is valid."""

    steps: Program = dataclasses.field(default_factory=list)
    training: bool = False
    sampler: bool = False
    states: list[str] = dataclasses.field(default_factory=list)
    weights: list[str] = dataclasses.field(default_factory=list)
    clock_left: int = CLOCK_BUDGET
    names: int = 0

    def choices(self) -> list[str]:
        kinds = ["create_training_client", "create_sampling_client:base"]
        if self.training:
            kinds += [*PIPELINED_OPS, "pipelined", "fault"]
        if self.states:
            kinds.append("create_training_client_from_state")
        if self.weights:
            kinds.append("create_sampling_client:saved")
        if self.sampler:
            kinds.append("sample")
        if self.clock_left > 0:
            kinds.append("advance_clock")
        return kinds

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def training_step(self, draw: st.DrawFn, op: str, *, pipelined: bool) -> Step:
        step: Step = {"op": op}
        if op in ("forward_backward", "forward"):
            step["args"] = {"data": draw(st.sampled_from(DATASETS))}
        elif op == "optim_step":
            step["args"] = {"learning_rate": draw(st.sampled_from([1e-4, 1e-3, 0.02]))}
        elif op in ("save_state", "save_weights_for_sampler"):
            prefix, label, saved = (
                ("st", "state", self.states) if op == "save_state" else ("w", "weights", self.weights)
            )
            ref = self.name(prefix)
            step["args"] = {"name": f"{label}-{self.names}"}
            step["as"] = ref
            saved.append(ref)
        if pipelined:
            step.setdefault("as", self.name("p"))
            step["await"] = False
        return step

    def add(self, draw: st.DrawFn, kind: str) -> None:
        if kind == "create_training_client":
            options = {"rank": draw(st.sampled_from([4, 8])), "seed": draw(st.none() | st.integers(0, 9))}
            self.steps.append({"op": kind, "args": {k: v for k, v in options.items() if v is not None}})
            self.training = True
        elif kind == "create_training_client_from_state":
            path = f"${draw(st.sampled_from(self.states))}.path"
            self.steps.append(
                {"op": kind, "args": {"path": path, "with_optimizer": draw(st.booleans())}, "as": "train"}
            )
        elif kind in PIPELINED_OPS:
            self.steps.append(self.training_step(draw, kind, pipelined=False))
        elif kind == "create_sampling_client:base":
            self.steps.append({"op": "create_sampling_client", "args": {"base_model": "Qwen/Qwen3-8B"}})
            self.sampler = True
        elif kind == "create_sampling_client:saved":
            path = f"${draw(st.sampled_from(self.weights))}.path"
            self.steps.append({"op": "create_sampling_client", "args": {"model_path": path}})
            self.sampler = True
        elif kind == "sample":
            args = {
                "prompt": draw(st.sampled_from(PROMPTS)),
                "seed": draw(st.integers(0, 99)),
                "max_tokens": draw(st.integers(1, 6)),
                "num_samples": draw(st.integers(1, 3)),
                "include_prompt_logprobs": draw(st.booleans()),
            }
            self.steps.append({"op": "sample", "args": args})
        elif kind == "advance_clock":
            seconds = draw(st.integers(1, min(30, self.clock_left)))
            self.clock_left -= seconds
            self.steps.append({"op": "advance_clock", "args": {"seconds": seconds}})
        elif kind == "pipelined":
            ops = draw(st.lists(st.sampled_from(PIPELINED_OPS), min_size=2, max_size=3))
            # The SDK numbers a save_weights_for_sampler when its coroutine runs on the SDK's loop, not
            # when it is called (0.38 TrainingClient.save_weights_for_sampler -> _save_weights_for_sampler_impl
            # -> _get_request_id), so a call pipelined after it may take the earlier seq_id: the SDK does
            # not promise its place in a pipeline. The reference client numbers at call time. So a
            # pipelined block ends with its sampler save, if it has one.
            ops = [op for op in ops if op != "save_weights_for_sampler"] + ["save_weights_for_sampler"] * (
                "save_weights_for_sampler" in ops
            )
            started = [self.training_step(draw, op, pipelined=True) for op in ops]
            self.steps += started
            self.steps += [
                {"op": "await", "args": {"ref": ref}} for ref in draw(st.permutations([s["as"] for s in started]))
            ]
        elif kind == "fault":
            self.steps += fault_steps(draw(st.sampled_from(sorted(FAULTS))))
        else:
            raise AssertionError(f"unknown kind {kind}")


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """A valid program of 3 to 7 moves (a pipelined block or a fault is one move), ending with close."""
    builder = _Builder()
    for _ in range(draw(st.integers(3, 7))):
        builder.add(draw, draw(st.sampled_from(builder.choices())))
    return [*builder.steps, {"op": "close"}]


def kinds_of(program: Program) -> set[str]:
    """The generator's operation kinds a program contains, read from its steps."""
    kinds = set()
    for step in program:
        op, args = step["op"], step.get("args", {})
        if step.get("await") is False:
            kinds.add("pipelined")
        elif op == "set_faults":
            kinds |= {"fault"} if args.get("rules") else set()
        elif op == "create_sampling_client":
            kinds.add("create_sampling_client:saved" if "model_path" in args else "create_sampling_client:base")
        elif op not in ("await", "close"):
            kinds.add(op)
    return kinds


# Every kind at least once, so the coverage check holds whatever the budget draws.
EVERY_KIND: Program = [
    {"op": "create_sampling_client", "args": {"base_model": "Qwen/Qwen3-8B"}},
    {"op": "create_training_client", "args": {"rank": 8, "seed": 3}},
    {"op": "forward_backward", "args": {"data": "three"}},
    {"op": "optim_step", "args": {"learning_rate": 0.02}},
    {"op": "forward", "args": {"data": "tiny"}},
    {"op": "save_state", "args": {"name": "state-1"}, "as": "st1"},
    {"op": "advance_clock", "args": {"seconds": 30}},
    {"op": "forward_backward", "args": {"data": "five"}, "as": "p2", "await": False},
    {"op": "optim_step", "as": "p3", "await": False},
    {"op": "save_weights_for_sampler", "args": {"name": "weights-4"}, "as": "w4", "await": False},
    {"op": "await", "args": {"ref": "w4"}},
    {"op": "await", "args": {"ref": "p2"}},
    {"op": "await", "args": {"ref": "p3"}},
    {"op": "create_sampling_client", "args": {"model_path": "$w4.path"}},
    {"op": "sample", "args": {"prompt": "sentence", "seed": 7, "num_samples": 2, "include_prompt_logprobs": True}},
    *fault_steps("fail-user"),
    {"op": "create_training_client_from_state", "args": {"path": "$st1.path", "with_optimizer": True}, "as": "train"},
    *fault_steps("try-again"),
    {"op": "save_weights_for_sampler", "args": {"name": "weights-5"}, "as": "w5"},
    {"op": "close"},
]
assert kinds_of(EVERY_KIND) == set(KINDS)


# --- running and comparing ----------------------------------------------------------------------


def scenario_of(program: Program) -> Scenario:
    return Scenario.model_validate(
        {
            "id": "differential/generated-program",
            "purpose": "A generated program, run through the reference client and the official SDK.",
            "protocol": ["§20", "§8.2"],
            "requires": REQUIRES,
            "setup": {"clock": "frozen"},
            "steps": program,
        }
    )


@functools.cache
def hellos() -> tuple[Hello, Hello]:
    """The SDK adapter's hello and the reference adapter's, read once."""
    return probe(SDK), probe(REFERENCE)


def run_both(program: Program, work_dir: Path) -> tuple[ScenarioResult, ScenarioResult]:
    """The program through the SDK adapter and the reference adapter, side by side, each on its own mock."""
    scenario = scenario_of(program)
    sdk_hello, reference_hello = hellos()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="differential") as pool:
        sdk = pool.submit(run_scenario, scenario, SDK, sdk_hello, work_dir=work_dir)
        reference = pool.submit(run_scenario, scenario, REFERENCE, reference_hello, work_dir=work_dir)
        return sdk.result(), reference.result()


def outcome(answer: ResultMessage) -> dict[str, Any]:
    """What must be equal across clients: the result summary, or the error's kind and HTTP status.

    A failed future arrives in a 200 poll answer and an expired one in a 410, which the reference client
    reports and the SDK's exceptions do not carry; for those kinds the status is implied by the kind.
    """
    if answer.ok:
        return {"result": answer.result}
    assert answer.error is not None
    kind = answer.error.kind
    return {"error": kind, "status": None if kind in STATUS_IMPLIED else answer.error.status}


def _failures(run: ScenarioResult) -> str:
    return "; ".join(f"{f.title}: {f.observed}" for f in run.failures) or str(run.reason)


def differences(sdk: ScenarioResult, reference: ScenarioResult) -> list[str]:
    """Everything observable that differs between the two runs of one program (empty when equivalent)."""
    found = [
        f"{side} run {run.status}: {_failures(run)}"
        for side, run in (("sdk", sdk), ("reference", reference))
        if run.status != "pass"
    ]
    for index in sorted(sdk.answers.keys() | reference.answers.keys()):
        ours = outcome(sdk.answers[index]) if index in sdk.answers else None
        theirs = outcome(reference.answers[index]) if index in reference.answers else None
        if ours != theirs:
            found.append(f"step {index + 1}: sdk {ours} != reference {theirs}")
    comparison = compare(sdk.entries, reference.entries)
    found += comparison.differences()
    if comparison.fired - NEEDED:
        found.append(f"allow-list rules {sorted(comparison.fired - NEEDED)} fired; programs need only {NEEDED}")
    return found


def check_program(program: Program, work_dir: Path | None = None) -> None:
    """Run ``program`` through both adapters and assert the runs are equivalent and did real work."""
    sdk, reference = run_both(program, work_dir or Path(tempfile.mkdtemp(prefix="differential-")))
    found = differences(sdk, reference)
    assert found == [], "\n".join(found)
    adapter_steps = [s for s in program if s["op"] not in ("advance_clock", "set_faults")]
    assert sorted(reference.answers) == sorted(sdk.answers) and len(sdk.answers) == len(adapter_steps)
    calls = [s for s in adapter_steps if s["op"] not in ("await", "close")]
    rows = compare(sdk.entries, reference.entries).reference
    assert len(rows) >= len(calls), "every call puts at least one request on the wire"


# --- tests --------------------------------------------------------------------------------------


def test_random_programs_behave_the_same_through_the_reference_client_and_the_sdk(tmp_path: Path) -> None:
    plan = budget(examples=4)
    seen: set[str] = set()
    counter = iter(range(1_000_000))

    @settings(
        max_examples=plan.examples,
        deadline=None,
        derandomize=plan.seed is None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )
    @given(program=programs())
    @example(program=EVERY_KIND)
    def check(program: Program) -> None:
        note(f"check_program({program!r})")
        work = tmp_path / f"program-{next(counter)}"
        work.mkdir()
        check_program(program, work)
        seen.update(kinds_of(program))

    with reproducer_on_failure("differential", plan, "from test_differential_programs import check_program"):
        (check if plan.seed is None else seed(plan.seed)(check))()
    assert seen == set(KINDS), f"kinds that never ran: {sorted(set(KINDS) - seen)}"


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> ScenarioResult:
    """One reference-adapter run of :data:`EVERY_KIND`, shared by the tests of the comparison itself."""
    _, hello = hellos()
    run = run_scenario(scenario_of(EVERY_KIND), REFERENCE, hello, work_dir=tmp_path_factory.mktemp("reference"))
    assert run.status == "pass", _failures(run)
    return run


def _step_index(op: str, *, nth: int = 0) -> int:
    return [i for i, s in enumerate(EVERY_KIND) if s["op"] == op][nth]


def test_a_run_is_equivalent_to_itself(reference_run: ScenarioResult) -> None:
    assert differences(reference_run, reference_run) == []
    assert compare(reference_run.entries, reference_run.entries).fired == set()


def test_a_different_result_summary_is_reported(reference_run: ScenarioResult) -> None:
    index = _step_index("forward_backward")
    answer = reference_run.answers[index]
    assert answer.result is not None and answer.result["loss"] > 0
    changed = answer.model_copy(update={"result": {**answer.result, "loss": answer.result["loss"] + 1e-9}})
    mutated = dataclasses.replace(reference_run, answers={**reference_run.answers, index: changed})
    (found,) = differences(mutated, reference_run)
    assert found.startswith(f"step {index + 1}: sdk ") and "'loss'" in found


def test_a_different_error_kind_is_reported(reference_run: ScenarioResult) -> None:
    index = next(i for i, a in reference_run.answers.items() if not a.ok)
    answer = reference_run.answers[index]
    assert answer.error is not None and answer.error.kind == "request_failed:user"
    error = answer.error.model_copy(update={"kind": "request_failed:server"})
    mutated = dataclasses.replace(
        reference_run, answers={**reference_run.answers, index: answer.model_copy(update={"error": error})}
    )
    (found,) = differences(reference_run, mutated)
    assert found.startswith(f"step {index + 1}:") and "request_failed:server" in found


def test_a_different_request_body_is_reported(reference_run: ScenarioResult) -> None:
    entries = reference_run.entries
    index = next(i for i, e in enumerate(entries) if e.endpoint == "optim_step")
    body = copy.deepcopy(entries[index].request_body)
    body["adam_params"]["learning_rate"] = 0.03
    changed = [*entries[:index], dataclasses.replace(entries[index], request_body=body), *entries[index + 1 :]]
    (found,) = differences(dataclasses.replace(reference_run, entries=changed), reference_run)
    assert " optim_step:" in found and '"learning_rate": 0.03' in found and '"learning_rate": 0.02' in found


def test_a_missing_poll_and_a_failed_run_are_reported(reference_run: ScenarioResult) -> None:
    entries = reference_run.entries
    last_poll = max(i for i, e in enumerate(entries) if e.endpoint == "retrieve_future")
    fewer = dataclasses.replace(reference_run, entries=entries[:last_poll] + entries[last_poll + 1 :])
    assert any(d.startswith("endpoint order") for d in differences(fewer, reference_run))
    failed = dataclasses.replace(reference_run, status="fail")
    (found,) = differences(reference_run, failed)
    assert found.startswith("reference run fail")


def test_pipelined_polls_and_submissions_may_interleave_but_seq_ids_keep_the_call_order(
    reference_run: ScenarioResult,
) -> None:
    entries = reference_run.entries
    endpoints = [e.endpoint for e in entries]
    # The pipelined block of EVERY_KIND submits forward_backward, optim_step, save_weights_for_sampler.
    save = endpoints.index("save_weights_for_sampler")
    optim = max(i for i in range(save) if endpoints[i] == "optim_step")
    train = max(i for i in range(optim) if endpoints[i] == "forward_backward")
    future = entries[train].future_request_id
    assert future is not None and entries[save].future_request_id is not None
    polls = [e for e in entries if e.endpoint == "retrieve_future" and e.future_request_id == future]
    assert polls, "the pipelined forward_backward was polled"
    # Its polls after both later submissions: a race either client may show.
    rest = [e for e in entries if e not in polls]
    late = rest.index(entries[save]) + 1
    raced = [*rest[:late], *polls, *rest[late:]]
    assert [e.endpoint for e in raced][train + 1] != "retrieve_future"
    assert [e.endpoint for e in polls_after_submission(raced)][train + 1] == "retrieve_future"
    assert compare(raced, entries).differences() == []
    # Submissions arriving out of seq_id order are the same calls (the SDK may send them so, §8.2) ...
    swapped = [*entries[:optim], entries[save], *entries[optim + 1 : save], entries[optim], *entries[save + 1 :]]
    assert compare(swapped, entries).differences() == []
    # ... but calls numbered in another order are a difference.
    optim_seq, save_seq = entries[optim].request_body["seq_id"], entries[save].request_body["seq_id"]
    renumbered = list(entries)
    renumbered[optim] = dataclasses.replace(
        entries[optim], request_body={**entries[optim].request_body, "seq_id": save_seq}
    )
    renumbered[save] = dataclasses.replace(
        entries[save], request_body={**entries[save].request_body, "seq_id": optim_seq}
    )
    assert any(d.startswith("endpoint order") for d in compare(renumbered, entries).differences())
