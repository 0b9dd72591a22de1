"""SDK adapters for the conformance runner (docs/adapter-protocol.md).

* :mod:`scenarios.adapters.reference_client` — the project's reference client
  (``python -m tinker_harness.scenarios.adapters.reference_client [--mutation NAME]``);
* ``python_sdk.py`` — the official ``tinker`` SDK of any installed version, run by path with the
  interpreter of a venv that has only ``tinker==X`` (it imports the standard library and ``tinker``);
* ``tinkex_adapter.exs`` — the Elixir port, run from a tinkex checkout (not runnable in this project's CI).

:mod:`scenarios.adapters.loop` is the JSON-lines loop they share (standard library only).
"""
