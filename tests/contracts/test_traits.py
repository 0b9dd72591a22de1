"""Endpoint traits have one home (contracts.traits) and name only catalogue endpoints."""

from __future__ import annotations

from tinker_harness.contracts.catalogue import CATALOGUE
from tinker_harness.contracts.traits import TRAITS, endpoints_with


def test_every_trait_names_catalogue_endpoints_only() -> None:
    names = {e.name for e in CATALOGUE}
    for trait, members in TRAITS.items():
        assert members and members <= names, (trait, sorted(members - names))


def test_scheduled_chatter_is_implicit_repeatable_and_a_read() -> None:
    scheduled = endpoints_with("scheduled")
    assert scheduled == {"session_heartbeat", "telemetry", "client_dynamic_config"}
    assert (
        endpoints_with("periodic")
        < scheduled
        <= endpoints_with("implicit") & endpoints_with("repeatable") & endpoints_with("read")
    )
    assert "retrieve_future" in endpoints_with("implicit") and "forward_backward" not in endpoints_with("implicit")
    assert endpoints_with("unauthenticated") == {"healthz"}
