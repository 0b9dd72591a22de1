"""The mock server's small byte-level BPE tokenizer (512 tokens).

Its packaged directory backs ``GetInfoResponse.model_data.tokenizer_id`` (protocol reference §5.2): the SDK's
``get_tokenizer()`` ends in ``AutoTokenizer.from_pretrained(tokenizer_id)`` (§8.6), which accepts a local
directory as long as its path contains no ``:`` (the SDK truncates ``tokenizer_id`` at the first ``:``).
The files are produced from ``data/corpus.txt`` by ``scripts/train_tokenizer.py``; this module needs only
``tokenizers``, not ``transformers``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer

__all__ = [
    "EOS_TOKEN_ID",
    "IMAGE_TOKEN_ID",
    "PAD_TOKEN_ID",
    "TOKENIZER_DIR",
    "VOCAB_SIZE",
    "decode",
    "encode",
    "load_tokenizer",
]

TOKENIZER_DIR: Path = Path(__file__).resolve().parent / "data" / "tokenizer"
EOS_TOKEN_ID = 0  # <|endoftext|>
PAD_TOKEN_ID = 1  # <|pad|>
IMAGE_TOKEN_ID = 2  # <|image|>
VOCAB_SIZE = 512


@functools.lru_cache(maxsize=1)
def load_tokenizer() -> Tokenizer:
    """Load (once) the packaged tokenizer.json."""
    return Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))


def encode(text: str) -> list[int]:
    """Token ids of ``text``; special-token strings such as ``<|endoftext|>`` map to their ids."""
    return list(load_tokenizer().encode(text).ids)


def decode(ids: Sequence[int]) -> str:
    """Text of ``ids``, special tokens included; bytes that do not form valid UTF-8 become U+FFFD."""
    id_list = [int(i) for i in ids]  # also accepts numpy integers
    bad = [i for i in id_list if not 0 <= i < VOCAB_SIZE]
    if bad:
        raise ValueError(f"token ids must be in [0, {VOCAB_SIZE}), got out-of-range ids {bad[:5]}")
    return load_tokenizer().decode(id_list, skip_special_tokens=False)
