"""Train the mock server's small byte-level BPE tokenizer from mock_server/data/corpus.txt.

Usage: python scripts/train_tokenizer.py [--check] [--out DIR]

Writes tokenizer.json and tokenizer_config.json into mock_server/data/tokenizer/ (or DIR). The corpus was
written for this project and is committed; nothing is downloaded. Training is deterministic (checked
across PYTHONHASHSEED and RAYON_NUM_THREADS values): the BPE trainer breaks ties between equally frequent
pairs by token id, the 256 byte symbols get fixed, sorted ids through ``initial_alphabet``, and the corpus
lines are fed in file order; ``Tokenizer.to_str`` writes the vocabulary in id order.

With --check nothing is written to the package; the tokenizer is trained into a temporary directory and the
exit status is 1 when the committed files differ from the fresh ones (the test suite runs this).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

DATA_DIR = Path(__file__).resolve().parent.parent / "mock_server" / "data"
CORPUS = DATA_DIR / "corpus.txt"
TOKENIZER_DIR = DATA_DIR / "tokenizer"
VOCAB_SIZE = 512
SPECIAL_TOKENS = ["<|endoftext|>", "<|pad|>", "<|image|>"]  # ids 0, 1, 2 in this order
OUTPUTS = ("tokenizer.json", "tokenizer_config.json")
TOKENIZER_CONFIG: dict[str, Any] = {
    "tokenizer_class": "PreTrainedTokenizerFast",
    "eos_token": "<|endoftext|>",
    "pad_token": "<|pad|>",
    "model_max_length": 4096,
    "clean_up_tokenization_spaces": False,
}


def train() -> Tokenizer:
    """Train the BPE on the committed corpus and check the invariants the mock server relies on."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
    tokenizer.train_from_iterator(lines, trainer=trainer, length=len(lines))
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    if size != VOCAB_SIZE:
        raise SystemExit(f"trained vocabulary has {size} tokens, expected {VOCAB_SIZE}; enlarge the corpus")
    ids = [tokenizer.token_to_id(token) for token in SPECIAL_TOKENS]
    if ids != list(range(len(SPECIAL_TOKENS))):
        raise SystemExit(f"special tokens {SPECIAL_TOKENS} got ids {ids}, expected 0, 1, 2")
    return tokenizer


def serialise(tokenizer: Tokenizer) -> dict[str, str]:
    """Return the text of every output file, keyed by file name."""
    config = json.dumps(TOKENIZER_CONFIG, indent=2) + "\n"
    return {"tokenizer.json": tokenizer.to_str(pretty=True) + "\n", "tokenizer_config.json": config}


def write(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in serialise(train()).items():
        (out_dir / name).write_text(text, encoding="utf-8", newline="\n")


def stale_outputs() -> list[str]:
    """Names of committed outputs that are missing or differ from a fresh training run."""
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp))
        stale = []
        for name in OUTPUTS:
            committed = TOKENIZER_DIR / name
            if not committed.is_file() or committed.read_bytes() != (Path(tmp) / name).read_bytes():
                stale.append(name)
        return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files are stale")
    parser.add_argument("--out", type=Path, default=TOKENIZER_DIR, help=f"output directory ({TOKENIZER_DIR})")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_outputs()
        if stale:
            print(f"stale tokenizer files in {TOKENIZER_DIR}: {', '.join(stale)}", file=sys.stderr)
            print("regenerate with: python scripts/train_tokenizer.py", file=sys.stderr)
            return 1
        return 0
    write(args.out)
    print(f"wrote {', '.join(OUTPUTS)} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
