"""Serialised training state: one npz archive with a JSON header (semantics §5, §9 item 5).

Layout (``np.savez``; read back with ``allow_pickle=False``): ``"header"`` is a uint8 array holding
UTF-8 JSON — format tag, base model, vocab size, LoRA config, optimizer kind, step count and
whether optimizer state is included; ``"weights/<param>"`` are the LoRA factors;
``"optimizer/<slot>/<param>"`` the optimizer slots (AdamW ``m``, ``v``; dimuon ``m``), if saved.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import FloatArray
from .base_weights import EMBEDDING_DIM, BaseWeights
from .lora import LoraConfig, LoraModel, LoraWeights
from .lora_params import parameter_shapes
from .optimizer import OptimizerState

__all__ = ["CheckpointFormatError", "FORMAT", "TrainingState"]

FORMAT = "tinker-mock-model-state/1"


class CheckpointFormatError(ValueError):
    """The bytes are not a checkpoint written by ``TrainingState.to_bytes``."""


@dataclass(frozen=True)
class TrainingState:
    """Everything ``save_state`` stores; ``optimizer_state`` is None for weights-only saves."""

    base_model: str
    vocab_size: int
    lora_config: LoraConfig
    optimizer: str
    step: int
    weights: LoraWeights
    optimizer_state: OptimizerState | None

    def to_bytes(self) -> bytes:
        header = {
            "format": FORMAT,
            "base_model": self.base_model,
            "vocab_size": self.vocab_size,
            "lora_config": dataclasses.asdict(self.lora_config),
            "optimizer": self.optimizer,
            "step": self.step,
            "has_optimizer_state": self.optimizer_state is not None,
        }
        arrays: dict[str, Any] = {f"weights/{k}": v for k, v in self.weights.items()}
        if self.optimizer_state is not None:
            arrays.update({f"optimizer/{k}": v for k, v in self.optimizer_state.slots.items()})
        meta = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez(buf, header=meta, **arrays)
        return buf.getvalue()

    def lora_model(self) -> LoraModel:
        """The saved weights on their base model (e.g. for a sampler)."""
        base = BaseWeights.for_model(self.base_model, self.vocab_size)
        return LoraModel(base, self.lora_config, self.weights)

    @classmethod
    def from_bytes(cls, data: bytes) -> TrainingState:
        """Inverse of ``to_bytes``; ``CheckpointFormatError`` for anything malformed."""
        header, arrays = _read_npz(data)
        try:
            if header.get("format") != FORMAT:
                raise ValueError(f"unsupported format {header.get('format')!r}")
            config = LoraConfig(**header["lora_config"])
            vocab_size = int(header["vocab_size"])
            step = int(header["step"])
            weights = LoraWeights(_section(arrays, "weights/"))
            expected = parameter_shapes(config, vocab_size, EMBEDDING_DIM)
            if {k: v.shape for k, v in weights.items()} != expected:
                raise ValueError(f"weights do not match the LoRA config (expected {expected})")
            opt = None
            if header["has_optimizer_state"]:
                slots = _section(arrays, "optimizer/")
                for key, value in slots.items():
                    if expected.get(key.partition("/")[2]) != value.shape:
                        raise ValueError(f"optimizer slot {key!r} does not match any weight")
                opt = OptimizerState(step, slots)
            base_model, optimizer = str(header["base_model"]), str(header["optimizer"])
            return cls(base_model, vocab_size, config, optimizer, step, weights, opt)
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointFormatError(f"bad checkpoint: {exc}") from exc


def _section(arrays: dict[str, FloatArray], prefix: str) -> dict[str, FloatArray]:
    return {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}


def _read_npz(data: bytes) -> tuple[dict[str, Any], dict[str, FloatArray]]:
    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("a bare .npy array, not an npz archive")
        with loaded as npz:
            contents = {k: npz[k] for k in npz.files}
        header = json.loads(contents.pop("header").tobytes().decode("utf-8"))
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise CheckpointFormatError(f"not a model checkpoint: {exc}") from exc
    if not isinstance(header, dict):
        raise CheckpointFormatError("not a model checkpoint: header is not a JSON object")
    return header, {k: np.asarray(v, dtype=np.float64) for k, v in contents.items()}
