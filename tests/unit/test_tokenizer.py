"""The packaged byte-level BPE tokenizer (mock_server/tokenizer.py, scripts/train_tokenizer.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tinker_harness.mock_server.tokenizer import (
    EOS_TOKEN_ID,
    IMAGE_TOKEN_ID,
    PAD_TOKEN_ID,
    TOKENIZER_DIR,
    VOCAB_SIZE,
    decode,
    encode,
    load_tokenizer,
)

TRAIN_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_tokenizer.py"
SENTENCE = "The client sent a heartbeat, then sampled 32 tokens from checkpoint step-000500!\n"


def test_vocabulary_and_special_ids() -> None:
    tok = load_tokenizer()
    assert tok.get_vocab_size(with_added_tokens=True) == VOCAB_SIZE == 512
    assert (EOS_TOKEN_ID, PAD_TOKEN_ID, IMAGE_TOKEN_ID) == (0, 1, 2)
    assert [tok.token_to_id(t) for t in ("<|endoftext|>", "<|pad|>", "<|image|>")] == [0, 1, 2]
    assert encode("<|endoftext|>") == [EOS_TOKEN_ID]
    assert len(encode("training")) < len("training")  # the corpus produced useful merges


@settings(max_examples=25, deadline=None)
@given(st.text())
@example("")
@example(SENTENCE + "<|pad|><|image|> café 日本語 🙂 \t\r\n  x")
def test_round_trip_is_lossless(text: str) -> None:
    ids = encode(text)
    assert all(0 <= i < VOCAB_SIZE for i in ids)
    assert decode(ids) == text


def test_decode_accepts_every_id_and_rejects_others() -> None:
    for i in range(VOCAB_SIZE):
        assert isinstance(decode([i]), str)
    assert isinstance(decode(list(range(VOCAB_SIZE))), str)
    for bad in (-1, VOCAB_SIZE):
        with pytest.raises(ValueError, match=r"\[0, 512\)"):
            decode([5, bad])


def test_transformers_loads_directory_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # huggingface_hub reads HF_HUB_OFFLINE at import time, so patch the constant as well as the environment.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    huggingface_constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(huggingface_constants, "HF_HUB_OFFLINE", True)
    transformers = pytest.importorskip("transformers")

    assert ":" not in str(TOKENIZER_DIR)  # the SDK truncates tokenizer_id at the first ':'
    hf = transformers.AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))
    assert hf.eos_token_id == EOS_TOKEN_ID
    assert hf.pad_token_id == PAD_TOKEN_ID
    assert len(hf) == VOCAB_SIZE
    ids = hf.encode(SENTENCE)
    assert ids == encode(SENTENCE)
    assert hf.decode(ids) == decode(ids) == SENTENCE


def _run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TRAIN_SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_committed_tokenizer_is_up_to_date() -> None:
    result = _run_script("--check")
    assert result.returncode == 0, result.stderr


def test_bogus_flag_exits_2() -> None:
    result = _run_script("--no-such-flag")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr
