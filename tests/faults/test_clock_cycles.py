"""Clock-cycle mode: training ops run in lock-step cycles, so pipelining saves cycles (semantics §6).

The official SDK trains against a server whose ops run only at 10-second cycle boundaries of a frozen
clock; the test plays the part of time and counts the cycles each pattern used.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import tinker
from sdk_support import BASE_MODEL, datum
from tinker import types

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker

pytestmark = pytest.mark.sdk
CYCLE = 10.0


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _next_cycle(mock: MockTinker) -> None:
    now = mock.clock.now()
    mock.clock.advance((now // CYCLE + 1) * CYCLE - now)


def _cycles(mock: MockTinker, endpoints: tuple[str, ...], since: int) -> list[int]:
    futures = [e.future_request_id for e in mock.journal.entries(endpoint=endpoints, since_seq=since)]
    records = [mock.server.state.futures.find(f) for f in futures if f]
    return [r.extra["cycle"] for r in records if r is not None]


def test_pipelined_steps_use_fewer_cycles_than_awaited_ones(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock(ServerConfig(cycle_seconds=CYCLE), clock=Clock(frozen_at=2e9 + 3.0))
    service = tinker.ServiceClient()
    training = service.create_lora_training_client(base_model=BASE_MODEL, rank=4).result()
    data = [datum("Training loss goes down.")]
    adam = types.AdamParams(learning_rate=1e-3)

    def submitted(count: int, since: int) -> Callable[[], bool]:
        return lambda: len(mock.journal.entries(endpoint=("forward_backward", "optim_step"), since_seq=since)) >= count

    # Pipelined: both requests are queued before the next cycle starts.
    mark = mock.journal.last_seq
    fwdbwd, optim = training.forward_backward(data, "cross_entropy"), training.optim_step(adam)
    _wait_for(submitted(2, mark), "both pipelined submissions")
    _next_cycle(mock)
    fwdbwd.result(timeout=20), optim.result(timeout=20)
    pipelined = _cycles(mock, ("forward_backward", "optim_step"), mark)

    # Awaited: optim_step is only sent once forward_backward's result is back.
    mark = mock.journal.last_seq
    fwdbwd = training.forward_backward(data, "cross_entropy")
    _wait_for(submitted(1, mark), "the forward_backward submission")
    _next_cycle(mock)
    fwdbwd.result(timeout=20)
    optim = training.optim_step(adam)
    _wait_for(submitted(2, mark), "the optim_step submission")
    _next_cycle(mock)
    optim.result(timeout=20)
    awaited = _cycles(mock, ("forward_backward", "optim_step"), mark)

    assert len(pipelined) == len(awaited) == 2
    assert len(set(pipelined)) == 1, pipelined
    assert len(set(awaited)) == 2, awaited
    service.close("success").result()


def test_ops_wait_for_the_cycle_boundary(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock(ServerConfig(cycle_seconds=CYCLE), clock=Clock(frozen_at=2e9 + 1.0))
    service = tinker.ServiceClient()
    training = service.create_lora_training_client(base_model=BASE_MODEL, rank=4).result()
    future = training.optim_step(types.AdamParams())
    _wait_for(lambda: bool(mock.journal.entries(endpoint="optim_step")), "the optim_step submission")
    time.sleep(0.2)
    assert not future.future().done()  # the clock has not reached the next cycle
    _next_cycle(mock)
    assert future.result(timeout=20).metrics is not None
    service.close("success").result()
