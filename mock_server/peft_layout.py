"""The mock's LoRA adapter and base weights in Hugging Face / PEFT naming (protocol reference §13).

The tiny model (semantics §9) is a bigram table plus three LoRA groups; written as a one-layer
Hugging Face model each group is the adapter of one linear module:

* ``mlp`` — input one-hot(x_t), the bigram map V → V: ``model.layers.0.mlp.down_proj`` (base
  weight ``W0ᵀ``);
* ``attn`` — input the mean one-hot of the prefix, V → V: ``model.layers.0.self_attn.o_proj``
  (base weight zero: the base model ignores the prefix);
* ``unembed`` — input the fixed embedding ``E0[x_t]``, 32 → V: the unembedding, named
  ``model.unembed_tokens`` in the adapter as Tinker names it; tools map it to ``lm_head``.

PEFT stores ``lora_A`` (r × in) and ``lora_B`` (out × r) with ``ΔW = (lora_alpha / r)·B·A``; the
mock's ``A_g`` (in × r) and ``B_g`` (r × V) are their transposes, ``lora_alpha`` is the model's
``ALPHA``. Adapter keys carry PEFT's ``base_model.model.`` prefix. :func:`base_model_tensors` writes
the matching base weights (``model.language_model.`` prefix for vision-language models, whose real
weights use it) so tinker-cookbook's ``weights.build_lora_adapter`` can resolve every module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tinker_harness.mock_server.model import BaseWeights, LoraConfig, LoraWeights
from tinker_harness.mock_server.model.lora_params import ALPHA

__all__ = ["MODULES", "adapter_config", "adapter_tensors", "base_model_tensors"]

MODULES = {
    "mlp": "model.layers.0.mlp.down_proj",
    "attn": "model.layers.0.self_attn.o_proj",
    "unembed": "model.unembed_tokens",
}

Float32Array = npt.NDArray[np.float32]


def adapter_tensors(weights: LoraWeights, config: LoraConfig) -> dict[str, Float32Array]:
    """``adapter_model.safetensors`` contents: float32 ``lora_A``/``lora_B`` per trained group."""
    tensors = {}
    for group in config.groups:
        module = f"base_model.model.{MODULES[group]}"
        tensors[f"{module}.lora_A.weight"] = np.ascontiguousarray(weights[f"{group}.A"].T, dtype=np.float32)
        tensors[f"{module}.lora_B.weight"] = np.ascontiguousarray(weights[f"{group}.B"].T, dtype=np.float32)
    return tensors


def adapter_config(base_model: str, config: LoraConfig, **extra: Any) -> dict[str, Any]:
    """``adapter_config.json``: the keys PEFT reads, plus ``extra`` (e.g. the checkpoint's tinker path)."""
    return {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": base_model,
        "r": config.rank,
        "lora_alpha": int(ALPHA),
        "lora_dropout": 0.0,
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "target_modules": sorted(MODULES[g].rsplit(".", 1)[-1] for g in config.groups),
        **extra,
    }


def base_model_tensors(base: BaseWeights, *, vision: bool) -> dict[str, Float32Array]:
    """The stand-in base model's ``model.safetensors`` in the naming the adapter keys map to."""
    prefix = "model.language_model." if vision else "model."
    vocab, dim = base.embedding.shape
    return {
        f"{prefix}embed_tokens.weight": base.embedding.astype(np.float32),
        f"{prefix}layers.0.mlp.down_proj.weight": np.ascontiguousarray(base.bigram.T, dtype=np.float32),
        f"{prefix}layers.0.self_attn.o_proj.weight": np.zeros((vocab, vocab), dtype=np.float32),
        "lm_head.weight": np.zeros((vocab, dim), dtype=np.float32),
    }
