"""Benchmarks: speed and memory targets, measured by scripts (never asserted in tests)."""
