"""``TrainableModel``: forward_backward, optim_step, save/load state (semantics §3, §5, §9 items 4, 5, 8).

- ``forward_backward`` validates every datum first (so a user error leaves no partial gradient),
  then per datum runs the model, the loss and, when ``backward``, accumulates gradients — every
  loss (built-in by name, or any ``Objective`` such as a server-side custom loss) feeds the same
  accumulator. ``metrics["loss:sum"]`` is the sum of per-token losses over all datums (§1.1, §6 key
  format); a loss's extra ``name:sum`` metrics are summed and ``name:mean`` ones averaged over datums.
- ``optim_step`` applies the accumulated gradient with the model's optimizer and zeroes it.
- ``save_state(include_optimizer)`` / ``load_state(data, with_optimizer)`` / ``from_state``: loading
  without optimizer state resets the optimizer (m = v = 0, t = 0, semantics §5). Sampler
  checkpoints are read with ``TrainingState.from_bytes(data).lora_model()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ._arrays import AnyArray, IntArray
from .base_weights import BaseWeights
from .batch import DatumArrays, FwdBwdResult, check_finite, combine_metrics
from .checkpoint import TrainingState
from .dimuon import Dimuon, DimuonParams
from .lora import LoraConfig, LoraModel
from .losses import LossConfig, LossResult, Objective, get_loss
from .optimizer import AdamParams, AdamW
from .validation import UserInputError, as_token_ids

__all__ = ["DatumArrays", "FwdBwdResult", "OPTIMIZER_KINDS", "TrainableModel"]

OPTIMIZER_KINDS = ("adamw", "dimuon")


def _make_optimizer(kind: str) -> AdamW | Dimuon:
    if kind == "adamw":
        return AdamW()
    if kind == "dimuon":
        return Dimuon()
    raise UserInputError("optimizer", f"expected one of {list(OPTIMIZER_KINDS)}, got {kind!r}")


class TrainableModel:
    """One LoRA training run: the adapter, its accumulated gradients and its optimizer."""

    def __init__(self, model: LoraModel, optimizer: AdamW | Dimuon) -> None:
        self.model = model
        self.optimizer = optimizer

    @classmethod
    def create(
        cls,
        base_model: str,
        vocab_size: int,
        lora_config: LoraConfig,
        optimizer: str = "adamw",
        rng: np.random.Generator | None = None,
    ) -> TrainableModel:
        """A fresh run; ``rng`` initialises A when ``lora_config.seed`` is None."""
        opt = _make_optimizer(optimizer)
        return cls(LoraModel.create(BaseWeights.for_model(base_model, vocab_size), lora_config, rng), opt)

    @property
    def base_model(self) -> str:
        return self.model.base.name

    @property
    def vocab_size(self) -> int:
        return self.model.vocab_size

    @property
    def lora_config(self) -> LoraConfig:
        return self.model.config

    @property
    def optimizer_kind(self) -> str:
        return self.optimizer.kind

    @property
    def step(self) -> int:
        """Optimizer steps taken (restored by ``load_state(..., with_optimizer=True)``)."""
        return self.optimizer.t

    def _prepare(self, index: int, datum: DatumArrays, loss: Objective) -> tuple[IntArray, dict[str, AnyArray]]:
        try:
            tokens = as_token_ids(datum.tokens, self.vocab_size, "model_input")
            inputs = loss.validate(datum.loss_fn_inputs, len(tokens))
            inputs["target_tokens"] = as_token_ids(
                inputs["target_tokens"], self.vocab_size, "target_tokens", ndims=(1, 2)
            )
        except UserInputError as exc:
            raise UserInputError(exc.key, f"datum {index}: {exc.problem}") from exc
        return tokens, inputs

    def forward_backward(
        self,
        datums: Sequence[DatumArrays],
        loss_fn: str | Objective,
        loss_fn_config: LossConfig | None = None,
        backward: bool = True,
    ) -> FwdBwdResult:
        """Per-datum outputs and ``{"loss:sum": total, ...}``; accumulates gradients iff ``backward``."""
        loss = get_loss(loss_fn) if isinstance(loss_fn, str) else loss_fn
        config = loss.resolve_config(loss_fn_config)
        prepared = [self._prepare(i, d, loss) for i, d in enumerate(datums)]
        passes = []
        results: list[LossResult] = []
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for index, (tokens, inputs) in enumerate(prepared):  # all evaluated before any gradient lands
                passes.append(self.model.forward(tokens, inputs["target_tokens"]))
                try:
                    results.append(check_finite(loss.name, loss(passes[-1].logprobs, inputs, config)))
                except UserInputError as exc:
                    raise UserInputError(exc.key, f"datum {index}: {exc.problem}") from exc
        if backward:
            for pass_, result in zip(passes, results, strict=True):
                self.model.backward(pass_, result.grad)
        outputs = [{k: np.asarray(v, dtype=np.float32) for k, v in r.outputs.items()} for r in results]
        return FwdBwdResult(outputs=outputs, metrics=combine_metrics(results))

    def optim_step(self, hp: AdamParams | DimuonParams) -> dict[str, float]:
        """Apply and zero the accumulated gradient; returns optimizer metrics (``{}`` or grad_norm)."""
        if isinstance(self.optimizer, AdamW) and isinstance(hp, AdamParams):
            metrics = self.optimizer.step(self.model.params, self.model.grads, hp)
        elif isinstance(self.optimizer, Dimuon) and isinstance(hp, DimuonParams):
            metrics = self.optimizer.step(self.model.params, self.model.grads, hp)
        else:
            got = type(hp).__name__
            raise UserInputError("optimizer_params", f"{got} given to a {self.optimizer_kind} model")
        self.model.zero_grad()
        return metrics

    def sampling_model(self) -> LoraModel:
        """An independent copy of the current weights for a sampler (later steps do not affect it)."""
        return LoraModel(self.model.base, self.model.config, self.model.snapshot())

    # -- checkpoints --------------------------------------------------------------------------
    def save_state(self, include_optimizer: bool = True) -> bytes:
        """``TrainingState`` bytes: weights, plus optimizer slots and step if ``include_optimizer``."""
        return TrainingState(
            base_model=self.base_model,
            vocab_size=self.vocab_size,
            lora_config=self.lora_config,
            optimizer=self.optimizer_kind,
            step=self.step,
            weights=self.model.snapshot(),
            optimizer_state=self.optimizer.state_dict() if include_optimizer else None,
        ).to_bytes()

    @classmethod
    def from_state(cls, data: bytes, with_optimizer: bool = True) -> TrainableModel:
        """A new run from ``save_state`` bytes (the optimizer kind is the checkpoint's)."""
        state = TrainingState.from_bytes(data)
        run = cls(state.lora_model(), _make_optimizer(state.optimizer))
        run._restore_optimizer(state, with_optimizer)
        return run

    def load_state(self, data: bytes, with_optimizer: bool) -> None:
        """Load weights (and optimizer state if asked) into this run; gradients are zeroed."""
        state = TrainingState.from_bytes(data)
        theirs = (state.base_model, state.vocab_size, dataclasses.replace(state.lora_config, seed=None))
        ours = (self.base_model, self.vocab_size, dataclasses.replace(self.lora_config, seed=None))
        if theirs != ours:
            raise UserInputError("checkpoint", f"incompatible: checkpoint is {theirs}, this model is {ours}")
        if with_optimizer and state.optimizer != self.optimizer_kind:
            raise UserInputError("checkpoint", f"optimizer {state.optimizer!r} != {self.optimizer_kind!r}")
        self._restore_optimizer(state, with_optimizer)
        self.model.load(state.weights)
        self.model.zero_grad()

    def _restore_optimizer(self, state: TrainingState, wanted: bool) -> None:
        if not wanted:
            self.optimizer.reset()
        elif state.optimizer_state is None:
            raise UserInputError("checkpoint", "has no optimizer state (it was saved without it)")
        else:
            self.optimizer.load_state_dict(state.optimizer_state)
