"""The rows of the certify matrix: features of the protocol, what each expects and where it is written.

Every flow feature (``flow_driver.py``) and every catalogue scenario lands in one row. A scenario's
row follows from what it requires and its group (:func:`feature_of`), so a new scenario needs no
entry here. ``protocol`` cites sections of the protocol reference (docs/protocol.md); the SDK side
of "where" is read from the failing run itself (the SDK frames of the exception, per version).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tinker_harness.contracts.surface.profile import BREAK_POINTS
from tinker_harness.scenarios.schema import Scenario

__all__ = ["FEATURES", "Feature", "feature_of", "loss_feature", "verified_generations"]


@dataclass(frozen=True)
class Feature:
    id: str
    title: str
    expected: str
    protocol: tuple[str, ...]


FEATURES: Final[tuple[Feature, ...]] = (
    Feature("session", "Sessions and start-up",
            "client/config (0.22+) and create_session answer; get_server_capabilities lists the base models; "
            "heartbeats are accepted", ("§4.1", "§4.2", "§4.3", "§5")),
    Feature("training", "Training (forward_backward, forward)",
            "create_model's future gives a model_id; forward_backward and forward futures give per-datum "
            "logprobs of the input's length and a finite loss:sum", ("§8.1", "§8.4", "§6.2", "§7.3")),
    Feature("optimizer", "Optimizer step (AdamW)",
            "optim_step futures complete; four steps at lr 0.02 lower the loss", ("§8.4", "§5.1")),
    Feature("futures", "Futures and retries",
            "retrieve_future long-polls, answers try_again or the result, and errors the SDK understands",
            ("§6.1", "§6.2", "§6.3", "§3")),
    Feature("checkpoints", "Checkpoints (save, load, resume)",
            "save_state/save_weights_for_sampler give tinker:// paths; a client created from the state "
            "(with optimizer) computes what the saved one did", ("§8.1", "§8.4")),
    Feature("sampling", "Sampling",
            "a sampler from trained weights, a saved path and a base model returns num_samples sequences of "
            "at most max_tokens tokens", ("§9.1", "§9.2", "§9.3", "§7.2")),
    Feature("logprobs", "Logprobs",
            "compute_logprobs gives one value per token (None first) matching the trainer's logprobs; prompt "
            "logprobs when asked", ("§9.3", "§9.4")),
    Feature("rest", "REST (runs, checkpoints, sessions)",
            "get_training_run, list_checkpoints and the checkpoint management calls answer the SDK's types",
            ("§10",)),
    Feature("archive", "Checkpoint archive (legacy)",
            "the archive URL of a checkpoint (302 or {url}) downloads a non-empty tar.gz (SDK <= 0.33)", ("§10",)),
    Feature("custom_loss", "Custom loss (forward_backward_custom)",
            "a forward pass, then a forward_backward whose weights carry the client-computed gradient", ("§8.5",)),
    Feature("finish", "Finishing sessions",
            "POST /sessions/{id}/finish ends the session (0.30+); later heartbeats answer 410", ("§4.4",)),
)  # fmt: skip

_LOSS_PROTOCOL = ("§8.4", "§5.1")


def loss_feature(name: str) -> Feature:
    """The row of one loss function (``loss:ppo``)."""
    return Feature(
        f"loss:{name}",
        f"Loss: {name}",
        f"forward_backward with loss_fn={name!r} and its loss_fn_inputs gives a finite loss:sum",
        _LOSS_PROTOCOL,
    )


_BY_GROUP: Final = {"bootstrap": "session", "sessions": "session", "futures": "futures", "submit": "futures",
                    "training": "training", "checkpoints": "checkpoints", "sampling": "sampling"}  # fmt: skip


def feature_of(scenario: Scenario) -> str:
    """The matrix row of a catalogue scenario, from what it requires, its id and its group."""
    requires = set(scenario.requires)
    name = scenario.id.rsplit("/", 1)[-1]
    if "custom_loss" in requires:
        return "custom_loss"
    if "session_finish" in requires:
        return "finish"
    if scenario.id.startswith("training/rl-"):
        return {"rl-importance-sampling": "loss:importance_sampling", "rl-ppo": "loss:ppo"}.get(name, "training")
    if "logprobs" in name:
        return "logprobs"
    if requires & {"rest", "rest:sessions", "trace_export"}:
        return "rest"
    if name.startswith(("optimizer", "optim")):
        return "optimizer"
    return _BY_GROUP.get(scenario.group, scenario.group)


def verified_generations() -> list[str]:
    """The SDK versions certify runs by default: every wire break point, each verified end to end against
    the mock by ``sdk_flow`` (``contracts.surface.profile.BREAK_POINTS``)."""
    return list(BREAK_POINTS)
