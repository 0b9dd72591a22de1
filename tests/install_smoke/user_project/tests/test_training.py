"""The user's tests: their own packages import, and their training loop runs against the mock server."""

from __future__ import annotations

import scenarios.training

import contracts.catalogue


def test_own_packages_are_not_shadowed() -> None:
    assert contracts.catalogue.BASE_MODELS == ("Qwen/Qwen3-8B",)


def test_training_lowers_the_loss(tinker_env, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    losses = scenarios.training.train(steps=4)
    assert losses[-1] < losses[0], losses
    paths = [entry.path for entry in tinker_env.journal.entries()]
    assert "/api/v1/forward_backward" in paths and "/api/v1/optim_step" in paths
