"""The reference client's fault-test rig, the twin of tests/faults/fault_rig.py (protocol reference §3, §6, §15.3).

One mock server on a frozen clock and one set of reference clients (a session, a LoRA training
client, a sampler) per module; each test loads its own fault plan and reads only the journal
entries it caused. The client runs on a :class:`QuietHeartbeatClock`: every backoff and billing
pause the *client* takes is recorded in ``clock.sleeps`` and costs no real time, and its heartbeat
stays parked (so the session never expires, and nothing but the test's own calls reaches the server).
Transport retries are unjittered (``0.5 * 2**n``), so the recorded waits are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from client_clocks import QuietHeartbeatClock
from refclient_support import BASE_MODEL

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.faults.plan import FaultPlan
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.local import MockTinker, start_mock
from tinker_harness.reference_client import (
    QueueStateChange,
    ReferenceClient,
    RetryPolicy,
    SamplingClient,
    TrainingClient,
)

FROZEN_AT = 1.8e9


@dataclass
class RefRig:
    mock: MockTinker
    clock: QuietHeartbeatClock
    client: ReferenceClient
    training: TrainingClient
    sampling: SamplingClient
    changes: list[QueueStateChange] = field(default_factory=list)  # what the client's queue observer heard
    mark: int = 0

    def plan(self, *rules: dict[str, Any], seed: int = 0) -> None:
        """Load a fault plan and start a new window: journal entries, client sleeps, queue states."""
        self.mock.server.faults.load(FaultPlan.parse({"seed": seed, "rules": list(rules)}))
        self.mark = self.mock.journal.last_seq
        self.clock.sleeps.clear()
        self.changes.clear()

    def entries(self, endpoint: str | None = None) -> list[JournalEntry]:
        return self.mock.journal.entries(endpoint=endpoint, since_seq=self.mark)

    def fresh_sampler(self) -> SamplingClient:
        return self.client.create_sampling_client(base_model=BASE_MODEL)

    def fired(self) -> list[str]:
        return [e.fault for e in self.entries() if e.fault]


@contextmanager
def reference_rig() -> Iterator[RefRig]:
    # The client's heartbeat is parked, so the server must not expire the session for its silence.
    mock = start_mock(ServerConfig(session_expiry_seconds=1e9), clock=Clock(frozen_at=FROZEN_AT))
    clock = QuietHeartbeatClock()
    changes: list[QueueStateChange] = []
    retry = RetryPolicy(random=lambda: 0.0)
    client = ReferenceClient(mock.base_url, mock.api_key, clock=clock, retry=retry, queue_observer=changes.append)
    try:
        with client:
            training = client.create_lora_training_client(BASE_MODEL, rank=4)
            sampling = training.save_weights_and_get_sampling_client()
            yield RefRig(mock, clock, client, training, sampling, changes)
            mock.server.faults.clear()
    finally:
        mock.stop()
