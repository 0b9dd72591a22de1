"""Small stand-in tokenizers, one per tokenizer family, and the vocabulary each served model uses.

A stand-in is a byte-level BPE (like Qwen's and Llama 3's) trained deterministically on the
project's own ``data/corpus.txt`` to ``BASE_VOCAB`` tokens, then the family's control tokens
(:mod:`mock_server.token_families`) appended as single tokens, special ones last-id-first as in the
real tokenizers' layout (ordinary tokens, then control tokens). Any text round-trips; the vocabulary
is small enough for the mock's bigram model (semantics §9 item 1).

With ``ServerConfig.tokenizers == "hub"`` each served model whose tokenizer comes from the Hub
trains, samples, stops and decodes stop strings with its family's stand-in, so the ids a client's
tokenizer writes (chat stop tokens included) are the model's own; ``tinker-harness offline-assets``
writes the same tokenizers in Hugging Face Hub-cache layout for the client. Otherwise, and for
names outside the table, the mock's own 512-token tokenizer (:mod:`mock_server.tokenizer`) is used.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from tinker_harness.mock_server import tokenizer as builtin
from tinker_harness.mock_server.served_models import ServedModel, served_model
from tinker_harness.mock_server.token_families import FAMILIES, TokenFamily

__all__ = ["BASE_VOCAB", "BUILTIN_VOCABULARY", "ModelVocabulary", "family_tokenizer", "model_vocabulary"]

BASE_VOCAB = 1024
CORPUS: Path = Path(__file__).resolve().parent / "data" / "corpus.txt"


@dataclass(frozen=True)
class ModelVocabulary:
    """What the mock's model of one base model needs from its tokenizer."""

    vocab_size: int
    eos_token_id: int
    decode: Callable[[Sequence[int]], str]
    encode: Callable[[str], list[int]]  # control-token text becomes its single token
    tokenizer_id: str | None  # what get_info advertises; None = the builtin tokenizer's directory


@functools.lru_cache(maxsize=1)
def _base_bpe() -> str:
    """The shared byte-level BPE, serialised (so each family gets its own copy)."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=BASE_VOCAB, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
    bpe.train_from_iterator(lines, trainer=trainer, length=len(lines))
    if bpe.get_vocab_size() != BASE_VOCAB:
        raise RuntimeError(f"the stand-in BPE has {bpe.get_vocab_size()} tokens, expected {BASE_VOCAB}")
    return bpe.to_str()


@functools.cache
def family_tokenizer(name: str) -> Tokenizer:
    """The stand-in tokenizer of a family in :data:`FAMILIES` (shared; do not mutate)."""
    family = FAMILIES[name]
    tokenizer = Tokenizer.from_str(_base_bpe())
    tokenizer.add_special_tokens(list(family.special))
    if family.added:
        tokenizer.add_tokens(list(family.added))
    if family.prepends_bos and family.bos is not None:
        bos = (family.bos, _token_id(tokenizer, family.bos))
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{family.bos} $A", pair=f"{family.bos} $A {family.bos} $B", special_tokens=[bos]
        )
    return tokenizer


def _token_id(tokenizer: Tokenizer, token: str) -> int:
    token_id = tokenizer.token_to_id(token)
    if token_id is None:
        raise KeyError(f"{token!r} is not a token of this tokenizer")
    return int(token_id)


def _decoder(tokenizer: Tokenizer) -> Callable[[Sequence[int]], str]:
    def decode(ids: Sequence[int]) -> str:
        return str(tokenizer.decode([int(i) for i in ids], skip_special_tokens=False))

    return decode


def _encoder(tokenizer: Tokenizer) -> Callable[[str], list[int]]:
    def encode(text: str) -> list[int]:
        return list(tokenizer.encode(text, add_special_tokens=False).ids)

    return encode


def _standin(model: ServedModel, family: TokenFamily) -> ModelVocabulary:
    tokenizer = family_tokenizer(family.name)
    return ModelVocabulary(
        vocab_size=tokenizer.get_vocab_size(with_added_tokens=True),
        eos_token_id=_token_id(tokenizer, model.eos),
        decode=_decoder(tokenizer),
        encode=_encoder(tokenizer),
        tokenizer_id=model.tokenizer_repo,
    )


BUILTIN_VOCABULARY = ModelVocabulary(builtin.VOCAB_SIZE, builtin.EOS_TOKEN_ID, builtin.decode, builtin.encode, None)


def model_vocabulary(base_model: str, *, hub_tokenizers: bool) -> ModelVocabulary:
    """The vocabulary the mock's model of ``base_model`` uses (see the module docstring)."""
    model = served_model(base_model)
    if not hub_tokenizers or model is None or not model.hub_tokenizer:
        return BUILTIN_VOCABULARY
    return _standin(model, model.family)
