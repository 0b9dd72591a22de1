"""Name normalisation, units and user overrides between the Python SDK and an Elixir port."""
