"""Autoregressive sampling from a fixed weight snapshot (semantics §4 and §9 item 6).

Per step: raw next-token logprobs from the model's incremental ``DecodeState`` (O(V·r)); with
``temperature == 0`` the argmax (lowest id on ties); otherwise ``logits / T``, then top-k
(``-1`` or ``0`` = off), then top-p nucleus (smallest prefix of the sorted distribution whose mass
reaches ``top_p``), and one inverse-CDF draw ``u = rng.random()`` from the sample's Generator:
``np.random.default_rng([seed mod 2**64, sample_index])`` when ``seed`` is set, else
``rng_factory(sample_index)`` (fresh OS entropy when no factory is given). The recorded logprob is
always the RAW one (temperature 1, unfiltered) of the drawn token.

With ``topk > 0`` every generated position also records the top-``k`` raw logprobs of its
distribution (``prompt_scoring.top_k``: descending, ties by lower id, sentinel beyond V).

Stopping (checked after each token, which is always included): a token in ``stop_token_ids`` or
``eos_token_id`` when ``eos_stops`` → ``"stop"``; any stop string occurring in ``decode(generated)``
→ ``"stop"``; ``max_tokens`` tokens generated → ``"length"``. Stop ids are compared modulo V, like
every token id the model sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ._arrays import FloatArray, IntArray
from .lora import LoraModel
from .prompt_scoring import TopK, top_k
from .validation import UserInputError

__all__ = ["SampledSequence", "SamplingSettings", "ScriptedCompletion", "StopReason", "continuation_logprob", "sample"]

StopReason = Literal["stop", "length"]


@dataclass(frozen=True)
class SamplingSettings:
    max_tokens: int
    temperature: float = 1.0
    top_k: int = -1
    top_p: float = 1.0
    seed: int | None = None
    stop_token_ids: frozenset[int] = frozenset()
    stop_strings: tuple[str, ...] = ()
    eos_stops: bool = True

    def validate(self) -> None:
        if self.max_tokens < 0:
            raise UserInputError("max_tokens", f"expected >= 0, got {self.max_tokens}")
        if not (self.temperature >= 0.0 and np.isfinite(self.temperature)):
            raise UserInputError("temperature", f"expected a finite value >= 0, got {self.temperature}")
        if self.top_k < -1:
            raise UserInputError("top_k", f"expected -1 (no limit) or a positive count, got {self.top_k}")
        if not 0.0 < self.top_p <= 1.0:
            raise UserInputError("top_p", f"expected 0 < top_p <= 1, got {self.top_p}")
        if any(t < 0 for t in self.stop_token_ids):
            bad = sorted(t for t in self.stop_token_ids if t < 0)
            raise UserInputError("stop", f"stop token ids must be non-negative, got {bad}")
        if any(s == "" for s in self.stop_strings):
            raise UserInputError("stop", "stop strings must be non-empty")


@dataclass(frozen=True)
class SampledSequence:
    tokens: list[int]
    logprobs: list[float]
    stop_reason: StopReason
    topk: TopK | None = None  # (len(tokens), k) when requested


@dataclass(frozen=True)
class ScriptedCompletion:
    """A test double's completion: each sample starts with ``tokens`` with chance ``probability``."""

    tokens: tuple[int, ...]
    probability: float


def continuation_logprob(model: LoraModel, prompt: npt.ArrayLike, tokens: Sequence[int]) -> float:
    """log p(tokens | prompt) under ``model`` (the sum of raw per-token logprobs)."""
    state = model.start_decode(prompt)
    total = 0.0
    for token in tokens:
        total += float(model.next_token_logprobs(state)[int(token) % model.vocab_size])
        state = model.advance(state, token)
    return total


def _candidates(logprobs: FloatArray, settings: SamplingSettings) -> tuple[IntArray, FloatArray]:
    """Token ids still allowed after temperature, top-k and top-p, with their renormalised probs."""
    scaled = logprobs / settings.temperature
    if settings.top_k > 0 or settings.top_p < 1.0:
        ids: IntArray = np.argsort(-scaled, kind="stable")
        if settings.top_k > 0:
            ids = ids[: settings.top_k]
    else:
        ids = np.arange(len(scaled), dtype=np.int64)
    kept = scaled[ids]
    probs = np.exp(kept - kept.max())
    probs /= probs.sum()
    if settings.top_p < 1.0:
        n = int(np.searchsorted(np.cumsum(probs), settings.top_p, side="left")) + 1
        ids, probs = ids[:n], probs[:n] / probs[:n].sum()
    return ids, probs


def _draw(logprobs: FloatArray, settings: SamplingSettings, rng: np.random.Generator) -> int:
    if settings.temperature == 0.0:
        return int(np.argmax(logprobs))
    ids, probs = _candidates(logprobs, settings)
    cdf = np.cumsum(probs)
    pos = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    return int(ids[min(pos, len(ids) - 1)])


def sample(
    model: LoraModel,
    prompt: npt.ArrayLike,
    settings: SamplingSettings,
    num_samples: int = 1,
    *,
    eos_token_id: int = 0,
    rng_factory: Callable[[int], np.random.Generator] | None = None,
    decode: Callable[[Sequence[int]], str] | None = None,
    topk: int = 0,
    scripted: ScriptedCompletion | None = None,
) -> list[SampledSequence]:
    """``num_samples`` independent completions of ``prompt`` (see the module docstring).

    With ``scripted``, each sample first draws ``u = rng.random()``; when ``u < scripted.probability``
    its first tokens are ``scripted.tokens`` instead of draws (the same stop rules apply, and the
    recorded logprobs are the model's own), then sampling goes on as usual.
    """
    settings.validate()
    if num_samples < 1:
        raise UserInputError("num_samples", f"expected >= 1, got {num_samples}")
    if settings.stop_strings and decode is None:
        raise ValueError("stop strings need a decode function")
    vocab = model.vocab_size
    stop_ids = {t % vocab for t in settings.stop_token_ids}
    if settings.eos_stops:
        stop_ids.add(eos_token_id % vocab)
    start = model.start_decode(prompt)
    results: list[SampledSequence] = []
    for index in range(num_samples):
        if settings.seed is not None:
            rng = np.random.default_rng([settings.seed % 2**64, index])
        else:
            rng = rng_factory(index) if rng_factory is not None else np.random.default_rng()
        state = start
        tokens: list[int] = []
        logprobs: list[float] = []
        rows: list[FloatArray] = []
        reason: StopReason = "length"
        forced = scripted.tokens if scripted is not None and rng.random() < scripted.probability else ()
        while len(tokens) < settings.max_tokens:
            raw = model.next_token_logprobs(state)
            token = forced[len(tokens)] % vocab if len(tokens) < len(forced) else _draw(raw, settings, rng)
            tokens.append(token)
            logprobs.append(float(raw[token]))
            if topk > 0:
                rows.append(raw)
            if token in stop_ids or _has_stop_string(tokens, settings, decode):
                reason = "stop"
                break
            state = model.advance(state, token)
        table = top_k(np.asarray(rows).reshape(len(rows), vocab), topk) if topk > 0 else None
        results.append(SampledSequence(tokens=tokens, logprobs=logprobs, stop_reason=reason, topk=table))
    return results


def _has_stop_string(
    tokens: Sequence[int], settings: SamplingSettings, decode: Callable[[Sequence[int]], str] | None
) -> bool:
    if not settings.stop_strings or decode is None:
        return False
    text = decode(tokens)
    return any(s in text for s in settings.stop_strings)
