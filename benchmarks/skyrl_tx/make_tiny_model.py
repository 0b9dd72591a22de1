"""Write a tiny random Qwen3 model and a byte-level BPE tokenizer trained on local text, as a HF model dir.

Run with the skyrl-tx venv's python (it has ``transformers``, ``tokenizers`` and ``torch``):
``python make_tiny_model.py CORPUS OUT_DIR``. The result is a directory skyrl-tx loads with
``--base-model OUT_DIR``: ``config.json``, ``model.safetensors`` and the tokenizer files.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

VOCAB_SIZE = 512
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def train_tokenizer(corpus: Path, out_dir: Path) -> int:
    """Train a byte-level BPE on ``corpus``, save it as a fast HF tokenizer; return its vocabulary size."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train([str(corpus)], trainer)
    wrapper: Any = PreTrainedTokenizerFast  # its constructor is typed differently in transformers 4 and 5
    fast = wrapper(
        tokenizer_object=tokenizer,
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    fast.save_pretrained(str(out_dir))
    return int(tokenizer.get_vocab_size())


def save_random_qwen3(out_dir: Path, vocab_size: int) -> None:
    """A 2-layer Qwen3 with a 64-wide residual stream and random weights, saved as float32 safetensors."""
    from transformers import Qwen3Config, Qwen3ForCausalLM, set_seed

    set_seed(0)
    config = Qwen3Config(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=0,
        eos_token_id=0,
    )
    model = Qwen3ForCausalLM(config)
    model.save_pretrained(str(out_dir), safe_serialization=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: make_tiny_model.py CORPUS OUT_DIR", file=sys.stderr)
        return 2
    corpus, out_dir = Path(argv[0]), Path(argv[1])
    if not corpus.is_file():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab_size = train_tokenizer(corpus, out_dir)
    save_random_qwen3(out_dir, vocab_size)
    print(out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
