"""Every model in tinker-cookbook 0.6.1's table is served, with the cookbook's renderer, and renders offline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tinker_cookbook import model_info, renderers
from tinker_cookbook.tokenizer_utils import get_tokenizer

from tinker_harness.mock_server.offline.assets import OfflineAssets
from tinker_harness.mock_server.served_models import SERVED_MODELS, served_model
from tinker_harness.mock_server.standin_tokenizer import model_vocabulary

TABLES = {
    "meta-llama": model_info.get_llama_info,
    "Qwen": model_info.get_qwen_info,
    "deepseek-ai": model_info.get_deepseek_info,
    "openai": model_info.get_gpt_oss_info,
    "moonshotai": model_info.get_moonshot_info,
    "zai-org": model_info.get_zai_info,
    "nvidia": model_info.get_nvidia_info,
    "thinkingmachines": model_info.get_thinkingmachines_info,
}


def _cookbook_models() -> Iterator[str]:
    for org, table in TABLES.items():
        for version in table():
            yield f"{org}/{version}"


COOKBOOK_MODELS = sorted(_cookbook_models())


def test_the_whole_table_is_served_with_the_cookbooks_renderer() -> None:
    assert len(COOKBOOK_MODELS) > 40
    served = {m.name: m for m in SERVED_MODELS}
    missing = [name for name in COOKBOOK_MODELS if name not in served]
    assert not missing
    for name in COOKBOOK_MODELS:
        attributes = model_info.get_model_attributes(name)
        model = served[name]
        assert model.renderer == attributes.recommended_renderers[0], name
        assert model.is_chat == attributes.is_chat and model.vision == attributes.is_vl, name


@pytest.mark.parametrize("name", [n for n in COOKBOOK_MODELS if (m := served_model(n)) and m.hub_tokenizer])
def test_each_model_renders_with_its_stand_in_tokenizer(name: str, tinker_offline_env: OfflineAssets) -> None:
    tokenizer = get_tokenizer(name)
    vocabulary = model_vocabulary(name, hub_tokenizers=True)
    assert len(tokenizer) == vocabulary.vocab_size
    renderer = renderers.get_renderer(model_info.get_recommended_renderer_name(name), tokenizer, model_name=name)
    prompt = renderer.build_generation_prompt([{"role": "user", "content": "What is 2+3?"}])
    tokens = [t for chunk in prompt.chunks for t in getattr(chunk, "tokens", [])]
    assert tokens and max(tokens) < vocabulary.vocab_size
    assert "What is 2+3?" in vocabulary.decode(tokens)  # the server reads prompts as the client wrote them
    for stop in renderer.get_stop_sequences():
        if isinstance(stop, int):  # a chat stop token: a single token of the model's own vocabulary
            assert 1024 <= stop < vocabulary.vocab_size
        else:
            assert vocabulary.decode(vocabulary.encode(stop)) == stop
