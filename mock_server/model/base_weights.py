"""Frozen base model: a bigram table and a fixed token embedding (semantics §9 item 1).

``BaseWeights.for_model(name, V)`` is a pure function of ``(name, V)``: the numpy Generator is
seeded with the first 8 bytes (big-endian) of ``sha256(name)``; it draws the bigram logits
``W0 ~ N(0, 2.0**2)`` of shape (V, V) first, then the embedding ``E0`` (V, 32) from N(0, 1) with
every row scaled to unit L2 norm. Results are cached per ``(name, V)`` and read-only, so every
client of the same base model shares one copy.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray

__all__ = ["BIGRAM_STD", "BaseWeights", "EMBEDDING_DIM", "seed_for_name"]

EMBEDDING_DIM = 32
BIGRAM_STD = 2.0


def seed_for_name(name: str) -> int:
    """The base-model seed: first 8 bytes of ``sha256(name.encode())`` as a big-endian integer."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")


@dataclass(frozen=True, eq=False)
class BaseWeights:
    """The frozen weights of one base model: ``bigram[x]`` are the base logits after token ``x``."""

    name: str
    vocab_size: int
    bigram: FloatArray  # (V, V)
    embedding: FloatArray  # (V, EMBEDDING_DIM), unit rows

    @classmethod
    def for_model(cls, name: str, vocab_size: int) -> BaseWeights:
        """Deterministic, cached base weights for ``name`` with vocabulary ``vocab_size``."""
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
        return _build(name, vocab_size)


@functools.lru_cache(maxsize=16)
def _build(name: str, vocab_size: int) -> BaseWeights:
    rng = np.random.default_rng(seed_for_name(name))
    bigram = rng.normal(0.0, BIGRAM_STD, size=(vocab_size, vocab_size))
    embedding = rng.standard_normal((vocab_size, EMBEDDING_DIM))
    embedding /= np.linalg.norm(embedding, axis=1, keepdims=True)
    bigram.setflags(write=False)
    embedding.setflags(write=False)
    return BaseWeights(name=name, vocab_size=vocab_size, bigram=bigram, embedding=embedding)
