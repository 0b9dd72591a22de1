"""A hypothesis state machine that drives the mock through the reference client (§4-§10, §15.3).

Two API keys each hold one reference-client session. Rules cover every stateful operation a user
has: creating and restoring runs, pipelined training steps, checkpoint saves, loads, deletes,
publishing and TTLs, sampling sessions and samples, faults from the fault-plan vocabulary and clock
advances. :class:`world.World` says what the server should hold; after every step the invariants
compare it with what the server answers:

* every future resolves exactly once, and all final answers to one ``request_id`` are identical;
* each run executes its operations in ``seq_id`` order;
* a checkpoint is listed iff it was saved, not deleted and not expired, and only to its owner;
* neither key ever sees the other's runs or private checkpoints;
* the journal holds exactly the foreground calls the machine made (faulted attempts aside);
* every loss and logprob is finite; nothing answers 5xx unless a fault was injected.

The server's clock is frozen and moves only when a rule advances it; the clients' clocks make
retry backoffs instant and keep heartbeats quiet (sessions are configured never to expire).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import httpx
from client_clocks import QuietHeartbeatClock
from contract_datums import datum
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, MultipleResults, RuleBasedStateMachine, invariant, multiple, rule
from world import Outcome, World

from tinker_harness.contracts import AdamParams, SamplingParams
from tinker_harness.contracts.traits import endpoints_with
from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.control import CONTROL_PREFIX
from tinker_harness.mock_server.local import MockTinker, start_mock
from tinker_harness.mock_server.tokenizer import encode
from tinker_harness.reference_client import (
    BadRequest,
    Conflict,
    NotFound,
    ReferenceClient,
    RequestFailed,
    SamplingClient,
    TrainingClient,
    UnprocessableEntity,
)

KEYS = ("tml-alice", "tml-bob")
BASE_MODEL = "Qwen/Qwen3-8B"
TEXTS = ("the loss goes down", "a checkpoint per step", "sampling with a seed")
START = 1_000_000.0
CONFIG = ServerConfig(session_expiry_seconds=1e9)
BACKGROUND = endpoints_with("periodic") | {"retrieve_future", None}
SUBMITS = ("forward_backward", "optim_step", "save_weights", "save_weights_for_sampler", "asample")
TRANSIENT_FAULTS: dict[str, dict[str, Any]] = {
    "submit-503": {"match": {"endpoint": list(SUBMITS)}, "times": 1, "action": {"status": 503}},
    "poll-500": {"match": {"endpoint": "retrieve_future"}, "times": 1, "action": {"status": 500}},
    "poll-try-again": {
        "match": {"endpoint": "retrieve_future"},
        "times": 3,
        "action": {"try_again": {"queue_state": "paused_capacity"}},
    },
    "poll-complete-metadata": {
        "match": {"endpoint": "retrieve_future"},
        "times": 1,
        "action": {"complete_metadata": {}},
    },
    "proxy-empty-400": {
        "match": {"endpoint": ["list_user_checkpoints", "list_training_runs"]},
        "times": 1,
        "action": {"kind": "status", "status": 400, "empty_body": True},
    },
    "poll-connection-reset": {"match": {"endpoint": "retrieve_future"}, "times": 1, "action": {"transport": "reset"}},
}

# Rule names fired in this process, for the coverage assertion of the CI run.
FIRED: Counter[str] = Counter()


def fired(name: str) -> None:
    FIRED[name] += 1


@dataclass
class Run:
    owner: str
    client: TrainingClient

    def __repr__(self) -> str:  # hypothesis prints bundle values in its reproducer
        return f"Run({self.owner!r}, {self.client.model_id!r})"


@dataclass
class Sampler:
    owner: str
    client: SamplingClient
    seen: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # (seed, prompt) -> first tokens

    def __repr__(self) -> str:
        return f"Sampler({self.owner!r}, {self.client.sampling_session_id!r})"


@dataclass
class Pending:
    label: str
    future: Future[Any]
    fails: bool
    check: Callable[[Any], None]


def _finite(values: Any, what: str) -> None:
    numbers = [v for v in (values if isinstance(values, list) else [values]) if v is not None]
    assert all(math.isfinite(float(v)) for v in numbers), f"{what}: not finite: {numbers}"


def _outcome(call: Callable[[], object]) -> Outcome:
    try:
        call()
    except NotFound:
        return "not_found"
    except Conflict:
        return "conflict"
    except RequestFailed:
        return "failed"
    return "ok"


class TinkerMachine(RuleBasedStateMachine):
    runs = Bundle("runs")
    checkpoints = Bundle("checkpoints")
    samplers = Bundle("samplers")

    def __init__(self) -> None:
        super().__init__()
        self.mock: MockTinker = start_mock(CONFIG, clock=Clock(frozen_at=START))
        self.world = World(now=START)
        self.pending: list[Pending] = []
        self.clients: dict[str, ReferenceClient] = {}
        self.control = httpx.Client(base_url=self.mock.base_url + CONTROL_PREFIX)
        for key in KEYS:
            client = ReferenceClient(self.mock.base_url, key, clock=QuietHeartbeatClock())
            client.start()
            self.clients[key] = client
            self.world.expect("client_config", "client_dynamic_config", "create_session")

    def teardown(self) -> None:
        try:
            self.settle()
        finally:
            for client in self.clients.values():
                client.close()
            self.control.close()
            self.mock.stop()

    # -- runs and training -------------------------------------------------------------------------

    @rule(target=runs, owner=st.sampled_from(KEYS), rank=st.sampled_from([1, 4]))
    def create_run(self, owner: str, rank: int) -> Run:
        fired("create_run")
        client = self.clients[owner].create_lora_training_client(BASE_MODEL, rank=rank)
        self.world.expect("create_model", "get_info")
        self.world.runs[client.model_id] = owner
        return Run(owner, client)

    def _submit(self, label: str, endpoint: str, start: Callable[[], Future[Any]], check: Callable[[Any], None],
                wait: bool, *, refused: bool = False) -> bool:  # fmt: skip
        """Submit one future-returning call; ``refused``: the server must fail it as a user error.

        Returns whether the call fails: once it is settled, :meth:`settle` has asserted exactly that.
        """
        fails = self.world.take_failure(endpoint) or refused
        self.world.expect(endpoint)
        self.pending.append(Pending(label, start(), fails, check))
        if wait or fails or self.world.armed_failure is not None:
            self.settle()  # an armed failure must hit a known call: no submit races it
        return fails

    @rule(run=runs, text=st.sampled_from(TEXTS), wait=st.booleans())
    def forward_backward(self, run: Run, text: str, wait: bool) -> None:
        fired("forward_backward")
        self._submit(
            f"forward_backward on {run}",
            "forward_backward",
            lambda: run.client.forward_backward([datum(text)], "cross_entropy"),
            lambda result: _finite(result.metrics["loss:sum"], "loss:sum"),
            wait,
        )

    @rule(run=runs, text=st.sampled_from(TEXTS))
    def forward(self, run: Run, text: str) -> None:
        fired("forward")
        self._submit(
            f"forward on {run}",
            "forward_backward",  # forward_only=true on the same endpoint (§8.4)
            lambda: run.client.forward([datum(text)], "cross_entropy"),
            lambda result: _finite(result.metrics["loss:sum"], "loss:sum"),
            True,
        )

    @rule(run=runs, learning_rate=st.sampled_from([1e-4, 1e-2]), wait=st.booleans())
    def optim_step(self, run: Run, learning_rate: float, wait: bool) -> None:
        fired("optim_step")
        self._submit(
            f"optim_step on {run}",
            "optim_step",
            lambda: run.client.optim_step(AdamParams(learning_rate=learning_rate)),
            lambda result: _finite(list((result.metrics or {}).values()), "optim metrics"),
            wait,
        )

    # -- checkpoints --------------------------------------------------------------------------------

    @rule(target=checkpoints, run=runs, name=st.sampled_from(["a", "b"]), ttl=st.sampled_from([None, 30, 300]))
    def save_state(self, run: Run, name: str, ttl: int | None) -> str:
        fired("save_state")
        path = f"tinker://{run.client.model_id}/weights/{name}"
        self.settle()
        taken = self.world.live(path) is not None  # without overwrite a live name is a user error (§8.6)
        save = lambda: run.client.save_state(name, ttl)  # noqa: E731
        if not self._submit(f"save_state {path}", "save_weights", save, lambda _: None, True, refused=taken):
            self.world.saved(path, run.owner, "weights", ttl)
        return path

    @rule(target=checkpoints, run=runs, name=st.sampled_from(["s1", "s2"]), ttl=st.sampled_from([None, 60]))
    def save_weights_for_sampler(self, run: Run, name: str, ttl: int | None) -> str:
        fired("save_weights_for_sampler")
        path = f"tinker://{run.client.model_id}/sampler_weights/{name}"
        save = lambda: run.client.save_weights_for_sampler(name, ttl)  # noqa: E731
        if not self._submit(f"save_weights_for_sampler {path}", "save_weights_for_sampler", save, lambda _: None, True):
            # sampler weights overwrite by default (§8.6)
            self.world.saved(path, run.owner, "sampler_weights", ttl)
        return path

    @rule(target=runs, path=checkpoints, by=st.sampled_from(KEYS))
    def load_state(self, path: str, by: str) -> Run | MultipleResults[Run]:
        fired("load_state")
        readable = self.world.readable(path, by)
        self.world.expect("load_weights")
        try:
            client = self.clients[by].create_training_client_from_state(path)
        except (BadRequest, UnprocessableEntity):  # 400 wrong-checkpoint-kind, or 422 from the path pattern
            assert "/sampler_weights/" in path, f"{path}: only sampler weights lack the training state"
            return multiple()
        except NotFound as exc:
            assert not readable, f"{by} could not load {path}: {exc}"
            return multiple()
        assert "/weights/" in path, f"{by} restored a training run from sampler weights {path}"
        assert readable, f"{by} loaded {path}, which it may not read"
        self.world.expect("get_info")
        self.world.runs[client.model_id] = by
        return Run(by, client)

    @rule(path=checkpoints, by=st.sampled_from(KEYS))
    def delete_checkpoint(self, path: str, by: str) -> None:
        fired("delete_checkpoint")
        expected = self.world.owner_change(path, by)
        self.world.expect("delete_checkpoint")
        assert _outcome(lambda: self.clients[by].rest.delete_checkpoint_from_tinker_path(path)) == expected, path
        if expected == "ok":
            self.world.checkpoints[path].deleted = True

    @rule(path=checkpoints, by=st.sampled_from(KEYS), public=st.booleans())
    def set_visibility(self, path: str, by: str, public: bool) -> None:
        fired("publish" if public else "unpublish")
        expected = self.world.visibility_change(path, by, public)
        rest = self.clients[by].rest
        change = rest.publish_checkpoint_from_tinker_path if public else rest.unpublish_checkpoint_from_tinker_path
        endpoint = "publish_checkpoint" if public else "unpublish_checkpoint"
        since = self.mock.journal.last_seq
        assert _outcome(lambda: change(path)) == expected, f"{by} {endpoint} {path}"
        attempts = [e.status for e in self.mock.journal.entries(endpoint=endpoint, since_seq=since)]
        if expected == "conflict":  # 409 is retried by both retry layers before it surfaces (§3.1, §3.2, §15.3)
            assert attempts and set(attempts) == {409}, f"{endpoint} {path}: {attempts}"
        else:
            assert len(attempts) == 1, f"{endpoint} {path}: {attempts}"
        self.world.expect(*[endpoint] * len(attempts))
        if expected == "ok":
            self.world.checkpoints[path].public = public

    @rule(path=checkpoints, by=st.sampled_from(KEYS), ttl=st.sampled_from([None, 3600, 7200]))  # §10: 1 h to 10 y
    def set_ttl(self, path: str, by: str, ttl: int | None) -> None:
        fired("set_ttl")
        expected = self.world.owner_change(path, by)
        self.world.expect("set_checkpoint_ttl")
        assert _outcome(lambda: self.clients[by].rest.set_checkpoint_ttl_from_tinker_path(path, ttl)) == expected
        if expected == "ok":
            self.world.checkpoints[path].expires_at = None if ttl is None else self.world.now + ttl

    # -- sampling -----------------------------------------------------------------------------------

    @rule(target=samplers, path=checkpoints, by=st.sampled_from(KEYS))
    def create_sampler(self, path: str, by: str) -> Sampler | MultipleResults[Sampler]:
        fired("create_sampler")
        readable = self.world.readable(path, by)  # training weights serve a sampler too (mock: both kinds)
        self.world.expect("create_sampling_session")
        try:
            client = self.clients[by].create_sampling_client(model_path=path)
        except NotFound as exc:
            assert not readable, f"{by} could not sample from {path}: {exc}"
            return multiple()
        assert readable, f"{by} opened a sampler on {path}, which it may not read"
        self.world.expect("get_sampler")
        return Sampler(by, client)

    @rule(target=samplers, owner=st.sampled_from(KEYS))
    def create_base_sampler(self, owner: str) -> Sampler:
        fired("create_base_sampler")
        client = self.clients[owner].create_sampling_client(base_model=BASE_MODEL)
        self.world.expect("create_sampling_session")  # the base model is known: no GET /samplers
        return Sampler(owner, client)

    @rule(sampler=samplers, seed=st.sampled_from([1, 2]), text=st.sampled_from(TEXTS))
    def sample(self, sampler: Sampler, seed: int, text: str) -> None:
        fired("sample")

        def check(result: Any) -> None:
            sequence = result.sequences[0]
            assert len(sequence.tokens) <= 4
            _finite(list(sequence.logprobs or []), "sample logprobs")
            first = sampler.seen.setdefault((seed, text), sequence.tokens)
            assert sequence.tokens == first, "a snapshot sampler must repeat itself for the same seed and prompt"

        params = SamplingParams(max_tokens=4, seed=seed, temperature=1.0)
        self._submit(
            f"sample on {sampler}", "asample", lambda: sampler.client.sample(encode(text), 1, params), check, True
        )

    # -- time and faults ----------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([5, 45, 400, 4000]))
    def advance_clock(self, seconds: int) -> None:
        fired("advance_clock")
        self.settle()
        answer = self.control.post("/clock", json={"advance": seconds})
        assert answer.status_code == 200, answer.text
        self.world.now += seconds
        assert answer.json()["now"] == self.world.now

    @rule(fault=st.sampled_from(sorted(TRANSIENT_FAULTS)))
    def inject_transient_fault(self, fault: str) -> None:
        """A fault the client must ride out without the user noticing (§3, §6.3, §1.1)."""
        fired("inject_transient_fault")
        self._load_plan([{"name": fault, **TRANSIENT_FAULTS[fault]}])
        self.world.armed_failure = None

    @rule(endpoint=st.sampled_from(SUBMITS))
    def fail_next_future(self, endpoint: str) -> None:
        """The next future of ``endpoint`` settles as a user failure: the operation must not take effect."""
        fired("fail_next_future")
        self.settle()
        rule = {"name": f"fail-{endpoint}", "match": {"endpoint": endpoint}, "times": 1}
        self._load_plan([{**rule, "action": {"fail": {"error": "injected", "category": "user"}}}])
        self.world.armed_failure = endpoint

    def _load_plan(self, rules: list[dict[str, Any]]) -> None:
        answer = self.control.put("/faults", json={"seed": 7, "rules": rules})
        assert answer.status_code == 200, answer.text

    @rule()
    def await_pending(self) -> None:
        fired("await_pending")
        self.settle()

    def settle(self) -> None:
        """Await every pending future once, in submission order."""
        while self.pending:
            item = self.pending.pop(0)
            try:
                result = item.future.result(timeout=60)
            except RequestFailed:
                assert item.fails, f"{item.label}: failed, but no failure was injected"
                continue
            assert not item.fails, f"{item.label}: succeeded, but its future was failed by the fault plan"
            item.check(result)

    # -- invariants ---------------------------------------------------------------------------------

    def _quiet(self) -> bool:
        return not self.pending

    @invariant()
    def listings_match_the_model(self) -> None:
        if not self._quiet():
            return
        for key in KEYS:
            rest = self.clients[key].rest
            listed = {c.tinker_path: c.public for c in rest.list_user_checkpoints(limit=1000).checkpoints}
            assert listed == self.world.listed(key), f"checkpoints listed to {key}"
            runs = {r.training_run_id for r in rest.list_training_runs(limit=1000).training_runs}
            assert runs == self.world.runs_of(key), f"training runs listed to {key}"
            self.world.expect("list_user_checkpoints", "list_training_runs")

    @invariant()
    def journal_matches_the_calls_made(self) -> None:
        if not self._quiet():
            return
        entries = self.mock.journal.entries()
        # A fault that answered an error replaced the call (the client then repeats it); a ``fail`` let it through.
        made = [e for e in entries if e.endpoint not in BACKGROUND and not (e.fault is not None and e.status >= 400)]
        seen = Counter(e.endpoint for e in made)
        assert seen == self.world.calls, f"journal {sorted(seen.items())} != calls {sorted(self.world.calls.items())}"
        server_errors = [e.describe() for e in entries if e.status >= 500 and e.fault is None]
        assert not server_errors, f"5xx answers nobody injected: {server_errors}"

    @invariant()
    def futures_resolve_once(self) -> None:
        if not self._quiet():
            return
        store = self.mock.server.state.futures
        unsettled = [f.request_id for f in store if not f.is_done]
        assert not unsettled, f"futures still open after every client call returned: {unsettled}"
        finals: dict[str, set[str]] = {}
        for entry in self.mock.journal.entries(endpoint="retrieve_future"):
            body = entry.response_body
            waiting = isinstance(body, dict) and (body.get("type") == "try_again" or "status" in body)  # §6.2
            if entry.status == 200 and entry.fault is None and not waiting:
                request_id = entry.request_body["request_id"]
                finals.setdefault(request_id, set()).add(json.dumps(body, sort_keys=True, default=str))
        twice = {rid: bodies for rid, bodies in finals.items() if len(bodies) > 1}
        assert not twice, f"one future answered with different results: {twice}"

    @invariant()
    def runs_execute_in_seq_id_order(self) -> None:
        for model_id in self.world.runs:
            executed = list(self.mock.server.state.runs[model_id].queue.executed)
            assert executed == sorted(set(executed)), f"{model_id} executed seq_ids {executed}"
