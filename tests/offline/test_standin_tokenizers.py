"""Stand-in tokenizers: the family's control tokens are single tokens, and clients load the same ones offline."""

from __future__ import annotations

import pytest
import tinker
import transformers

from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.offline.assets import OfflineAssets
from tinker_harness.mock_server.served_models import LLAMA3_TOKENIZER_REPO, SERVED_MODELS, served_model
from tinker_harness.mock_server.standin_tokenizer import BASE_VOCAB, family_tokenizer, model_vocabulary
from tinker_harness.mock_server.token_families import FAMILIES

TEXT = "Hello there! What's 12+30?\n\nUser: ok \\boxed{42} ünïcödé"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_control_tokens_are_single_tokens_after_the_ordinary_ones(family: str) -> None:
    tokenizer = family_tokenizer(family)
    spec = FAMILIES[family]
    ids = [tokenizer.encode(token, add_special_tokens=False).ids for token in spec.tokens]
    assert ids == [[BASE_VOCAB + i] for i in range(len(spec.tokens))]
    assert tokenizer.get_vocab_size(with_added_tokens=True) == BASE_VOCAB + len(spec.tokens)
    ordinary = tokenizer.encode(TEXT, add_special_tokens=False).ids
    assert tokenizer.decode(ordinary, skip_special_tokens=False) == TEXT and max(ordinary) < BASE_VOCAB


def test_every_hub_model_has_a_vocabulary_with_its_eos() -> None:
    for model in SERVED_MODELS:
        vocab = model_vocabulary(model.name, hub_tokenizers=True)
        if not model.hub_tokenizer:
            assert vocab.tokenizer_id is None
            continue
        assert vocab.decode([vocab.eos_token_id]) == model.eos
        assert vocab.encode(model.eos) == [vocab.eos_token_id] and vocab.tokenizer_id == model.tokenizer_repo


@pytest.mark.parametrize(
    ("repo", "bos", "eos", "single", "prepends_bos"),
    [
        ("Qwen/Qwen3-8B", None, "<|im_end|>", ["<|im_start|>", "<|im_end|>", "<think>"], False),
        ("Qwen/Qwen3.5-9B-Base", None, "<|endoftext|>", ["<|im_end|>", "<|vision_start|>"], False),
        (LLAMA3_TOKENIZER_REPO, "<|begin_of_text|>", "<|eot_id|>", ["<|start_header_id|>", "<|eot_id|>"], True),
        ("meta-llama/Llama-3.1-8B", "<|begin_of_text|>", "<|end_of_text|>", ["<|end_of_text|>"], True),
        ("openai/gpt-oss-20b", "<|startoftext|>", "<|return|>", ["<|start|>", "<|message|>", "<|end|>"], False),
        ("deepseek-ai/DeepSeek-V3.1", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", ["<｜Assistant｜>"], True),
    ],
)
def test_transformers_loads_the_stand_in_offline(
    repo: str, bos: str | None, eos: str, single: list[str], prepends_bos: bool, tinker_offline_env: OfflineAssets
) -> None:
    tokenizer = transformers.AutoTokenizer.from_pretrained(repo)
    assert tokenizer.is_fast and (tokenizer.bos_token, tokenizer.eos_token) == (bos, eos)
    for token in single:
        (token_id,) = tokenizer.encode(token, add_special_tokens=False)
        assert tokenizer.convert_ids_to_tokens(token_id) == token
    prepended = tokenizer.encode("hi")
    assert (prepended[0] == tokenizer.bos_token_id) is prepends_bos
    config = transformers.AutoConfig.from_pretrained(repo)
    assert config.vocab_size == len(tokenizer) and config.eos_token_id == tokenizer.eos_token_id


def test_the_sdk_tokenizer_is_the_models_own(offline_sdk: MockTinker) -> None:
    service = tinker.ServiceClient()
    for name in ("Qwen/Qwen3-8B", "meta-llama/Llama-3.1-8B-Instruct"):
        training = service.create_lora_training_client(base_model=name, rank=4).result()
        tokenizer = training.get_tokenizer()
        vocab = offline_sdk.server.vocabulary(name)
        assert (len(tokenizer), tokenizer.eos_token_id) == (vocab.vocab_size, vocab.eos_token_id)
        model = served_model(name)
        assert model is not None and training.get_info().model_data.tokenizer_id == model.tokenizer_repo
        ids = tokenizer.encode(TEXT, add_special_tokens=False)
        assert vocab.decode(ids) == TEXT  # what the server decodes stop strings with


def test_kimi_tokenizers_load_as_remote_code_at_the_pinned_revisions(offline_sdk: MockTinker) -> None:
    kimi = served_model("moonshotai/Kimi-K2-Thinking")
    assert kimi is not None and kimi.pinned_revisions
    for revision in (*kimi.pinned_revisions, None):
        tokenizer = transformers.AutoTokenizer.from_pretrained(kimi.name, trust_remote_code=True, revision=revision)
        assert type(tokenizer).__name__ == "TikTokenTokenizer" and tokenizer.eos_token == "<|im_end|>"
        (token,) = tokenizer.encode("<|im_middle|>", add_special_tokens=False)
    # The SDK loads Kimi K2.5 at its own pinned revision (and maps K2.5-Text-Only to it).
    training = tinker.ServiceClient().create_lora_training_client(base_model="moonshotai/Kimi-K2.5", rank=4).result()
    tokenizer = training.get_tokenizer()
    assert len(tokenizer) == offline_sdk.server.vocabulary("moonshotai/Kimi-K2.5").vocab_size
