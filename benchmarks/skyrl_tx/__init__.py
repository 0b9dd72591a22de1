"""skyrl-tx as a second Tinker-compatible peer: its venv, a tiny local model, start-up, load and SDK flow drivers."""
