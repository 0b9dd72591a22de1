"""tinker-harness: a testing and parity harness for the Tinker training API.

Everything the distribution installs lives under this one import package. The repository's top-level
folders are its subpackages, layered so that data flows one way (each imports only those to its left)::

    contracts  <-  mock_server | reference_client  <-  scenarios  <-  reports  <-  cli

* :mod:`tinker_harness.contracts`: the wire format (models, endpoint catalogue, protobuf, checks);
* :mod:`tinker_harness.mock_server`: the mock Tinker server, its journal, faults and recording;
* :mod:`tinker_harness.reference_client`: a small typed client of the protocol;
* :mod:`tinker_harness.scenarios`: the conformance catalogue, adapters and runner;
* :mod:`tinker_harness.reports`: parity, conformance and wire-diff reports;
* :mod:`tinker_harness.cli`: the ``tinker-harness`` command.

The protocol these modules cite as ``§N`` is ``docs/protocol.md`` in the repository.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``tinker_harness.__version__``: the installed distribution's version, read when first asked for."""
    if name == "__version__":
        from importlib.metadata import version

        return version("tinker-harness")
    raise AttributeError(name)
