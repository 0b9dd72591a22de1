"""The trainable LoRA bigram model: forward, backward and incremental decoding (semantics §9 items 1–3, 6).

For inputs ``x_0..x_{T-1}`` the logits of position ``t`` are
``bigram[x_t] + (alpha/r) · Σ_{enabled g} h_g[t] @ B_g`` where
``h_mlp[t] = A_mlp[x_t]``, ``h_attn[t] = mean_{s<=t} A_attn[x_s]`` (the mean one-hot of the prefix
times ``A_attn``) and ``h_unembed[t] = E0[x_t] @ A_unembed``. Position ``t`` predicts the next
token (semantics §2). ``LoraConfig`` and ``LoraWeights`` are defined in ``lora_params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._arrays import FloatArray, IntArray, log_softmax
from .base_weights import BaseWeights
from .lora_params import LoraConfig, LoraWeights, init_weights, parameter_shapes
from .validation import UserInputError, as_token_ids

__all__ = ["DecodeState", "ForwardPass", "LoraConfig", "LoraModel", "LoraWeights"]


@dataclass(frozen=True)
class ForwardPass:
    """What ``backward`` needs: canonical ids, (T, K) targets, softmax probs and group activations."""

    tokens: IntArray  # (T,)
    targets: IntArray  # (T, K)
    logprobs: FloatArray  # shape of the caller's targets: (T,) or (T, K)
    probs: FloatArray  # (T, V)
    hidden: Mapping[str, FloatArray]  # group -> (T, r)


@dataclass(frozen=True)
class DecodeState:
    """Prefix summary for O(V·r) next-token logits: last token and the running sum of A_attn rows."""

    last_token: int
    attn_sum: FloatArray | None
    count: int


class LoraModel:
    """Base weights plus a LoRA adapter; holds parameters and accumulated gradients."""

    def __init__(self, base: BaseWeights, config: LoraConfig, weights: Mapping[str, npt.ArrayLike]) -> None:
        self.base = base
        self.config = config
        self.params = LoraWeights({n: np.zeros(s) for n, s in self.parameter_shapes().items()})
        self.load(weights)
        self.grads = LoraWeights({n: np.zeros_like(p) for n, p in self.params.items()})

    @classmethod
    def create(cls, base: BaseWeights, config: LoraConfig, rng: np.random.Generator | None = None) -> LoraModel:
        """A fresh adapter (see ``init_weights``): equal to the base model since every B is 0."""
        return cls(base, config, init_weights(config, base.vocab_size, base.embedding.shape[1], rng))

    def parameter_shapes(self) -> dict[str, tuple[int, int]]:
        return parameter_shapes(self.config, self.base.vocab_size, self.base.embedding.shape[1])

    @property
    def vocab_size(self) -> int:
        return self.base.vocab_size

    # -- parameters -------------------------------------------------------------------------
    def snapshot(self) -> LoraWeights:
        """Deep copy of the parameters (for samplers and checkpoints)."""
        return self.params.copy()

    def load(self, weights: Mapping[str, npt.ArrayLike]) -> None:
        """Copy ``weights`` into the parameters in place; names and shapes must match exactly."""
        expected = self.parameter_shapes()
        if set(weights) != set(expected):
            raise ValueError(f"weights have names {sorted(weights)}, expected {sorted(expected)}")
        for name, shape in expected.items():
            value = np.asarray(weights[name], dtype=np.float64)
            if value.shape != shape:
                raise ValueError(f"weights[{name!r}] has shape {value.shape}, expected {shape}")
            self.params[name][...] = value

    def zero_grad(self) -> None:
        for grad in self.grads.values():
            grad.fill(0.0)

    # -- training path ----------------------------------------------------------------------
    def _hidden(self, last: IntArray | int, attn_mean: FloatArray | None) -> dict[str, FloatArray]:
        """Per-group LoRA inputs times A; ``attn_mean`` is the prefix mean of A_attn rows."""
        hidden: dict[str, FloatArray] = {}
        for g in self.config.groups:
            if g == "mlp":
                hidden[g] = self.params["mlp.A"][last]
            elif g == "attn":
                assert attn_mean is not None
                hidden[g] = attn_mean
            else:
                hidden[g] = self.base.embedding[last] @ self.params["unembed.A"]
        return hidden

    def _logits(self, last: IntArray | int, hidden: Mapping[str, FloatArray]) -> FloatArray:
        delta = np.zeros(self.base.bigram[last].shape)
        for g in self.config.groups:
            delta += hidden[g] @ self.params[f"{g}.B"]
        result: FloatArray = self.base.bigram[last] + self.config.scale * delta
        return result

    def forward(self, tokens: npt.ArrayLike, targets: npt.ArrayLike) -> ForwardPass:
        """Logprobs of ``targets`` ((T,) or (T, K)) given inputs ``tokens`` (T,)."""
        x = as_token_ids(tokens, self.vocab_size, "model_input")
        y = as_token_ids(targets, self.vocab_size, "target_tokens", ndims=(1, 2))
        if y.shape[0] != x.shape[0]:
            wanted = f"({len(x)},) or ({len(x)}, K)"
            raise UserInputError("target_tokens", f"expected shape {wanted}, got {y.shape}")
        y2 = y if y.ndim == 2 else y[:, None]
        logp, hidden = self._log_distributions(x)
        gathered = np.take_along_axis(logp, y2, axis=1).reshape(y.shape)
        return ForwardPass(tokens=x, targets=y2, logprobs=gathered, probs=np.exp(logp), hidden=hidden)

    def _log_distributions(self, x: IntArray) -> tuple[FloatArray, dict[str, FloatArray]]:
        attn_mean = None
        if "attn" in self.config.groups:
            attn_mean = np.cumsum(self.params["attn.A"][x], axis=0) / np.arange(1, len(x) + 1)[:, None]
        hidden = self._hidden(x, attn_mean)
        return log_softmax(self._logits(x, hidden)), hidden

    def log_distributions(self, tokens: npt.ArrayLike) -> FloatArray:
        """Full next-token log-probabilities (T, V): row t is the distribution after ``tokens[:t+1]``."""
        x = as_token_ids(tokens, self.vocab_size, "model_input")
        return self._log_distributions(x)[0]

    def backward(self, pass_: ForwardPass, grad_logprobs: npt.ArrayLike) -> None:
        """Accumulate dL/dparams given ``grad_logprobs`` = dL/d logprobs (shape of the targets)."""
        g = np.asarray(grad_logprobs, dtype=np.float64)
        if g.shape != pass_.logprobs.shape:
            raise ValueError(f"grad_logprobs has shape {g.shape}, expected {pass_.logprobs.shape}")
        g2 = g.reshape(pass_.targets.shape)
        x, n = pass_.tokens, len(pass_.tokens)
        dlogits = -g2.sum(axis=1)[:, None] * pass_.probs
        rows = np.broadcast_to(np.arange(n)[:, None], pass_.targets.shape)
        np.add.at(dlogits, (rows, pass_.targets), g2)
        scale = self.config.scale
        for grp in self.config.groups:
            b = self.params[f"{grp}.B"]
            self.grads[f"{grp}.B"][...] += scale * (pass_.hidden[grp].T @ dlogits)
            dh = scale * (dlogits @ b.T)
            da = self.grads[f"{grp}.A"]
            if grp == "mlp":
                np.add.at(da, x, dh)
            elif grp == "attn":
                per_pos = dh / np.arange(1, n + 1)[:, None]
                np.add.at(da, x, np.cumsum(per_pos[::-1], axis=0)[::-1])
            else:
                da += self.base.embedding[x].T @ dh

    # -- sampling path ----------------------------------------------------------------------
    def prompt_logprobs(self, tokens: npt.ArrayLike) -> FloatArray:
        """``[NaN, log p(t_1 | t_0), …]``: equals ``forward(t[:-1], t[1:]).logprobs`` after the NaN."""
        x = as_token_ids(tokens, self.vocab_size, "prompt")
        out = np.full(len(x), np.nan)
        if len(x) > 1:
            out[1:] = self.forward(x[:-1], x[1:]).logprobs
        return out

    def start_decode(self, prompt: npt.ArrayLike) -> DecodeState:
        """Summarise a non-empty prompt for incremental decoding."""
        x = as_token_ids(prompt, self.vocab_size, "prompt")
        if len(x) == 0:
            raise UserInputError("prompt", "must contain at least one token")
        attn_sum = np.cumsum(self.params["attn.A"][x], axis=0)[-1] if "attn" in self.config.groups else None
        return DecodeState(last_token=int(x[-1]), attn_sum=attn_sum, count=len(x))

    def advance(self, state: DecodeState, token: int) -> DecodeState:
        """The state after appending ``token`` (a new object; ``state`` is unchanged)."""
        tok = int(token) % self.vocab_size
        attn_sum = None if state.attn_sum is None else state.attn_sum + self.params["attn.A"][tok]
        return DecodeState(last_token=tok, attn_sum=attn_sum, count=state.count + 1)

    def next_token_logprobs(self, state: DecodeState) -> FloatArray:
        """Raw (temperature 1) log-probabilities (V,) of the token following the prefix."""
        attn_mean = None if state.attn_sum is None else state.attn_sum / state.count
        return log_softmax(self._logits(state.last_token, self._hidden(state.last_token, attn_mean)))
