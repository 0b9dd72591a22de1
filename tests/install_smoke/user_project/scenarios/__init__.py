"""The user's own scenarios package (a name tinker-harness must not shadow)."""
