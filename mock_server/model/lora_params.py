"""LoRA configuration and the named LoRA factor arrays (semantics §7 LoraConfig, §9 items 1 and 5).

Each enabled group ``g`` owns two parameters, ``"<g>.A"`` (in_g × r) and ``"<g>.B"`` (r × V);
the logits delta is ``(alpha / r) · h_g @ B_g`` with ``alpha = 32``. ``A`` is initialised from
N(0, 1) and ``B`` with zeros, so a fresh adapter leaves the base model unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._arrays import FloatArray

__all__ = ["ALPHA", "GROUPS", "LoraConfig", "LoraWeights", "init_weights", "parameter_shapes"]

ALPHA = 32.0
GROUPS: tuple[str, ...] = ("mlp", "attn", "unembed")


@dataclass(frozen=True)
class LoraConfig:
    """Mirror of Tinker's ``LoraConfig``; ``seed=None`` means the caller supplies a Generator."""

    rank: int = 32
    seed: int | None = None
    train_mlp: bool = True
    train_attn: bool = True
    train_unembed: bool = True

    def __post_init__(self) -> None:
        if self.rank < 1:
            raise ValueError(f"rank must be >= 1, got {self.rank}")
        if not (self.train_mlp or self.train_attn or self.train_unembed):
            raise ValueError("at least one of train_mlp, train_attn, train_unembed must be True")

    @property
    def groups(self) -> tuple[str, ...]:
        """The enabled groups, in the canonical order ``GROUPS``."""
        flags = {"mlp": self.train_mlp, "attn": self.train_attn, "unembed": self.train_unembed}
        return tuple(g for g in GROUPS if flags[g])

    @property
    def scale(self) -> float:
        """The LoRA scaling ``alpha / rank``."""
        return ALPHA / self.rank

    def parameter_names(self) -> tuple[str, ...]:
        return tuple(f"{g}.{m}" for g in self.groups for m in ("A", "B"))


class LoraWeights(Mapping[str, FloatArray]):
    """Named float64 arrays (``"mlp.A"``, ``"mlp.B"``, …). Construction copies its inputs.

    The arrays themselves are mutable: the owning ``LoraModel`` and the optimizer update them in
    place. ``copy()`` is deep.
    """

    def __init__(self, arrays: Mapping[str, npt.ArrayLike]) -> None:
        self._arrays: dict[str, FloatArray] = {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}

    def __getitem__(self, key: str) -> FloatArray:
        return self._arrays[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}: {v.shape}" for k, v in self._arrays.items())
        return f"LoraWeights({shapes})"

    def copy(self) -> LoraWeights:
        """A deep copy."""
        return LoraWeights(self._arrays)

    def to_npz_bytes(self) -> bytes:
        buf = io.BytesIO()
        arrays: dict[str, Any] = dict(self._arrays)  # Any: savez's stub reserves the allow_pickle kwarg
        np.savez(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_npz_bytes(cls, data: bytes) -> LoraWeights:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return cls({k: npz[k] for k in npz.files})


def parameter_shapes(config: LoraConfig, vocab_size: int, embedding_dim: int) -> dict[str, tuple[int, int]]:
    """Shapes of the parameters of the enabled groups, in canonical order (A then B per group)."""
    fan_in = {"mlp": vocab_size, "attn": vocab_size, "unembed": embedding_dim}
    shapes: dict[str, tuple[int, int]] = {}
    for g in config.groups:
        shapes[f"{g}.A"] = (fan_in[g], config.rank)
        shapes[f"{g}.B"] = (config.rank, vocab_size)
    return shapes


def init_weights(
    config: LoraConfig, vocab_size: int, embedding_dim: int, rng: np.random.Generator | None = None
) -> LoraWeights:
    """A ~ N(0, 1) drawn group by group in canonical order; B = 0.

    The Generator is ``default_rng(config.seed)``; with ``seed=None`` the caller must pass ``rng``.
    """
    if config.seed is not None:
        rng = np.random.default_rng(config.seed)
    elif rng is None:
        raise ValueError("LoraConfig.seed is None: pass a numpy Generator")
    arrays: dict[str, FloatArray] = {}
    for name, shape in parameter_shapes(config, vocab_size, embedding_dim).items():
        arrays[name] = rng.standard_normal(shape) if name.endswith(".A") else np.zeros(shape)
    return LoraWeights(arrays)
