"""The fault-test rig: one mock server on a frozen clock and one set of official SDK clients per
module; each test loads its own fault plan and reads only the journal entries it caused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tinker

from tinker_harness.mock_server.faults.plan import FaultPlan
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.local import MockTinker

BASE_MODEL = "Qwen/Qwen3-8B"


@dataclass
class Rig:
    mock: MockTinker
    service: tinker.ServiceClient
    training: tinker.TrainingClient
    sampling: tinker.SamplingClient
    mark: int = 0

    def plan(self, *rules: dict[str, Any], seed: int = 0) -> None:
        """Load a fault plan and start a new journal window for this test."""
        self.mock.server.faults.load(FaultPlan.parse({"seed": seed, "rules": list(rules)}))
        self.mark = self.mock.journal.last_seq

    def entries(self, endpoint: str | None = None) -> list[JournalEntry]:
        return self.mock.journal.entries(endpoint=endpoint, since_seq=self.mark)

    def fresh_sampler(self) -> tinker.SamplingClient:
        """A new SamplingClient: its queue-state log is rate-limited per instance (once a minute)."""
        return self.service.create_sampling_client(base_model=BASE_MODEL).result()

    def fired(self) -> list[str]:
        return [e.fault for e in self.entries() if e.fault]
