"""Fault plans: declarative, seeded misbehaviour of the mock (see :mod:`mock_server.faults.plan`)."""

from tinker_harness.mock_server.faults.engine import CallFacts, Decision, FaultEngine
from tinker_harness.mock_server.faults.plan import FaultPlan, FaultPlanError, FaultRule

__all__ = ["CallFacts", "Decision", "FaultEngine", "FaultPlan", "FaultPlanError", "FaultRule"]
