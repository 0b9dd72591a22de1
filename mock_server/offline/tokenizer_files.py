"""The files of one stand-in model repository: tokenizer and config (what ``from_pretrained`` reads).

``tokenizer.json`` is the family's stand-in (:mod:`mock_server.standin_tokenizer`), so the ids a
client's tokenizer writes are the ones the mock's model of that base model was built on;
``tokenizer_config.json`` names bos/eos/pad (the eos of a chat model ends a turn, a base model's
ends a document) and a fast tokenizer class; ``config.json`` names the real model's ``model_type``
and architecture (what tinker-cookbook's weight tools dispatch on) with the stand-in's vocabulary
and the mock model's sizes. Kimi repositories also carry ``tokenization_kimi.py``, a stand-in of the
remote tokenizer code their clients load.
"""

from __future__ import annotations

import json
from typing import Any

from tinker_harness.mock_server.model.base_weights import EMBEDDING_DIM
from tinker_harness.mock_server.served_models import ServedModel
from tinker_harness.mock_server.standin_tokenizer import family_tokenizer

__all__ = ["KIMI_TOKENIZER_CODE", "model_repo_files"]

# The stand-in of Kimi's remote tokenizer module: the repository's tokenizer.json under the class name
# clients import (``get_class_from_dynamic_module("tokenization_kimi.TikTokenTokenizer", ...)``).
KIMI_TOKENIZER_CODE = '''"""Offline stand-in written by tinker-harness: a small tokenizer with Kimi's control tokens."""

from transformers import PreTrainedTokenizerFast


class TikTokenTokenizer(PreTrainedTokenizerFast):
    """Loads the repository's tokenizer.json."""
'''


def _json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def model_repo_files(model: ServedModel, *, eos: str) -> dict[str, bytes]:
    """``tokenizer.json``, ``tokenizer_config.json`` and ``config.json`` of ``model``, ending turns with ``eos``."""
    family = model.family
    tokenizer = family_tokenizer(family.name)

    def token_id(token: str | None) -> int | None:
        return None if token is None else tokenizer.token_to_id(token)

    tokenizer_config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": family.bos,
        "eos_token": eos,
        "pad_token": family.pad,
        "add_bos_token": family.prepends_bos,
        "model_max_length": model.max_context_length,
        "clean_up_tokenization_spaces": False,
        "tinker_harness": f"offline stand-in of {model.name}'s tokenizer",
    }
    config = {
        "architectures": [model.architecture],
        "model_type": model.model_type,
        "vocab_size": tokenizer.get_vocab_size(with_added_tokens=True),
        "hidden_size": EMBEDDING_DIM,
        "num_hidden_layers": 1,
        "max_position_embeddings": model.max_context_length,
        "bos_token_id": token_id(family.bos),
        "eos_token_id": token_id(eos),
        "pad_token_id": token_id(family.pad),
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "tinker_harness": {"stand_in_for": model.name, "real_vocab_size": model.vocab_size},
    }
    files = {
        "tokenizer.json": tokenizer.to_str(pretty=True).encode("utf-8"),
        "tokenizer_config.json": _json(tokenizer_config),
        "config.json": _json(config),
    }
    if family.name == "kimi":  # clients load Kimi's tokenizer class from the repository (trust_remote_code)
        tokenizer_config["auto_map"] = {"AutoTokenizer": ["tokenization_kimi.TikTokenTokenizer", None]}
        files["tokenizer_config.json"] = _json(tokenizer_config)
        files["tokenization_kimi.py"] = KIMI_TOKENIZER_CODE.encode("utf-8")
    return files
