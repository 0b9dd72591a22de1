"""The user's own contracts package (a name tinker-harness must not shadow)."""
