"""Parity gap reports between the official Python SDK and its ports.

* :mod:`reports.elixir` — tree-sitter extraction of an Elixir port's public surface.
* :mod:`reports.mapping` — name normalisation, unit-aware constants, the overrides file.
* :mod:`reports.static` — the static comparison against a :mod:`contracts.surface` manifest.
* :mod:`reports.behaviour` — normalisation and diff of request journals of two adapters.
* :mod:`reports.report`, :mod:`reports.render`, :mod:`reports.ratchet` — the report, its Markdown /
  HTML / JSON renderings and the known-gaps ratchet; :mod:`reports.parity` runs it all and
  :mod:`reports.commands` is the ``tinker-harness parity`` / ``manifest`` command line.
"""
