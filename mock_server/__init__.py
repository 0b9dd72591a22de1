"""The mock Tinker server: ``MockServer`` (app), the CLI, the pytest plugin and the tiny model behind it."""
