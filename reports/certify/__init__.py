"""The certify report (``tinker-harness certify``): matrix, failures, server checks; four formats."""
