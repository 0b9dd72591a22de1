"""Fixtures of the reference client's fault tests (see refclient_fault_rig.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from refclient_fault_rig import RefRig, reference_rig


@pytest.fixture(scope="module")
def ref_rig() -> Iterator[RefRig]:
    with reference_rig() as rig:
        yield rig


@pytest.fixture
def faults(ref_rig: RefRig) -> Iterator[RefRig]:
    yield ref_rig
    ref_rig.mock.server.faults.clear()
