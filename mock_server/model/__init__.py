"""A tiny, real, trainable numpy language model behind the mock Tinker server (semantics §9).

Model. Vocabulary size V (given per base model), LoRA rank r, ``alpha = 32``, ``scale = alpha / r``;
everything is float64. The frozen base (``BaseWeights``, seeded from sha256 of the base-model name)
is a bigram logit table ``W0`` (V × V, N(0, 2²)) and a unit-norm embedding ``E0`` (V × 32). For
inputs ``x_0..x_{T-1}`` position t predicts the next token with

    logits_t = W0[x_t] + scale · Σ_{enabled g} h_g[t] @ B_g,
    h_mlp[t] = A_mlp[x_t]                       (A_mlp: V × r; input = one-hot of x_t)
    h_attn[t] = mean_{s<=t} A_attn[x_s]         (A_attn: V × r; input = mean one-hot of the prefix)
    h_unembed[t] = E0[x_t] @ A_unembed          (A_unembed: 32 × r; input = the embedding of x_t)

Each enabled group (``LoraConfig.train_mlp/attn/unembed``) has parameters ``A_g`` (init N(0, 1)
from ``LoraConfig.seed`` or a caller-supplied Generator) and ``B_g`` (r × V, init 0), so a fresh
adapter equals the base model. Token ids ≥ V are reduced modulo V (inputs, targets, prompts and stop
ids), so clients may use ids of a real tokenizer; negative ids raise ``UserInputError``.

Modules: ``base_weights`` (frozen base), ``lora_params`` (config, named arrays, init), ``lora``
(forward/backward/decoding), ``losses`` (loss registry, cross_entropy), ``rl_losses``
(importance_sampling, ppo, cispo, dro), ``sequence_losses`` (gspo, stable_reinforce stand-in),
``custom`` (server-side custom losses: a numpy interpreter of the uploaded torch.fx graph),
``optimizer`` (AdamW), ``dimuon`` (stand-in second optimizer), ``batch`` (datum arrays, metric
merging), ``training`` (``TrainableModel``), ``checkpoint`` (state bytes), ``sampler`` (decoding,
sample top-k), ``prompt_scoring`` (prompt logprobs, top-k, target and alternative tokens),
``prefix_cache`` (prompt-prefix reuse).
"""

from . import rl_losses, sequence_losses  # noqa: F401  (registers the RL losses)
from .base_weights import BaseWeights
from .checkpoint import CheckpointFormatError, TrainingState
from .dimuon import Dimuon, DimuonParams
from .lora import DecodeState, ForwardPass, LoraConfig, LoraModel, LoraWeights
from .losses import LOSSES, LossFn, LossResult, Objective, get_loss, register_loss
from .optimizer import AdamParams, AdamW, OptimizerState
from .sampler import SampledSequence, SamplingSettings, ScriptedCompletion, StopReason, continuation_logprob, sample
from .training import OPTIMIZER_KINDS, DatumArrays, FwdBwdResult, TrainableModel
from .validation import UserInputError

__all__ = [
    "AdamParams",
    "AdamW",
    "BaseWeights",
    "CheckpointFormatError",
    "DatumArrays",
    "DecodeState",
    "Dimuon",
    "DimuonParams",
    "ForwardPass",
    "FwdBwdResult",
    "LOSSES",
    "LoraConfig",
    "LoraModel",
    "LoraWeights",
    "LossFn",
    "LossResult",
    "Objective",
    "OPTIMIZER_KINDS",
    "OptimizerState",
    "SampledSequence",
    "SamplingSettings",
    "ScriptedCompletion",
    "StopReason",
    "TrainableModel",
    "TrainingState",
    "UserInputError",
    "continuation_logprob",
    "get_loss",
    "register_loss",
    "sample",
]
