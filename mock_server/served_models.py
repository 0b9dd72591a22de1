"""The base models the mock serves: tinker-cookbook 0.6.1's model table plus the names the SDK knows.

Each entry carries what a client needs to pick a tokenizer and a chat format (protocol reference §5
row 8 ``SupportedModel``, §8.6 the SDK's tokenizer rules): the recommended renderer, whether it is a
chat model, its tokenizer family (:mod:`mock_server.token_families`), the real model's vocabulary
size and Hugging Face ``model_type``/architecture, and the Hub repository its tokenizer loads from
(the Llama 3 models all load ``thinkingmachineslabinc/meta-llama-3-instruct-tokenizer``, as the SDK
and the cookbook remap them). ``tml`` models (Inkling, Kimi K3) are tokenized by ``tml-renderers``,
not from the Hub: they are served with the mock's own tokenizer and get no offline stand-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinker_harness.mock_server.token_families import BUILTIN, FAMILIES, TokenFamily

__all__ = ["LLAMA3_TOKENIZER_REPO", "SERVED_MODELS", "ServedModel", "served_model"]

LLAMA3_TOKENIZER_REPO = "thinkingmachineslabinc/meta-llama-3-instruct-tokenizer"


@dataclass(frozen=True)
class ServedModel:
    name: str
    family_name: str  # a key of FAMILIES, or "tml"
    renderer: str
    is_chat: bool
    vocab_size: int  # the real model's config.json vocab_size
    max_context_length: int
    model_type: str
    architecture: str
    vision: bool = False  # weights under model.language_model.*
    # Revisions clients pin when they load this repository's tokenizer code (trust_remote_code).
    pinned_revisions: tuple[str, ...] = ()

    @property
    def family(self) -> TokenFamily:
        return FAMILIES.get(self.family_name, BUILTIN)

    @property
    def hub_tokenizer(self) -> bool:
        """Whether clients load this model's tokenizer from the Hugging Face Hub."""
        return self.family_name in FAMILIES

    @property
    def tokenizer_repo(self) -> str:
        return LLAMA3_TOKENIZER_REPO if self.name.startswith("meta-llama/Llama-3") else self.name

    @property
    def eos(self) -> str:
        """The token that ends a completion of this model (the chat eos of its tokenizer repo)."""
        family = self.family
        if self.tokenizer_repo == LLAMA3_TOKENIZER_REPO:  # the instruct tokenizer, for base models too
            return family.eos_chat
        return family.eos(self.is_chat)


def _qwen(name: str, renderer: str, chat: bool, kind: tuple[str, str], vision: bool = False) -> ServedModel:
    vocab = 248320 if kind[0].startswith("qwen3_5") else 151936
    return ServedModel(f"Qwen/{name}", "qwen3", renderer, chat, vocab, 32768, *kind, vision)


def _llama(name: str, chat: bool) -> ServedModel:
    renderer = "llama3" if chat else "role_colon"
    return ServedModel(f"meta-llama/{name}", "llama3", renderer, chat, 128256, 131072, "llama", "LlamaForCausalLM")


def _other(
    name: str, family: str, renderer: str, vocab: int, kind: tuple[str, str], vision: bool = False
) -> ServedModel:
    return ServedModel(name, family, renderer, renderer != "role_colon", vocab, 131072, *kind, vision)


def _kimi(name: str, renderer: str, kind: tuple[str, str], revisions: tuple[str, ...]) -> ServedModel:
    vision = kind != _KIMI2
    return ServedModel(name, "kimi", renderer, True, 163840, 131072, *kind, vision, pinned_revisions=revisions)


def _tml(name: str, renderer: str, vocab: int) -> ServedModel:
    return ServedModel(name, "tml", renderer, True, vocab, 131072, "tml", "TmlForCausalLM", vision=True)


_Q3, _Q3M = ("qwen3", "Qwen3ForCausalLM"), ("qwen3_moe", "Qwen3MoeForCausalLM")
_Q3VL = ("qwen3_vl_moe", "Qwen3VLMoeForConditionalGeneration")
_Q35, _Q35M = ("qwen3_5", "Qwen3_5ForConditionalGeneration"), ("qwen3_5_moe", "Qwen3_5MoeForConditionalGeneration")
_DS3, _DS4 = ("deepseek_v3", "DeepseekV3ForCausalLM"), ("deepseek_v4", "DeepseekV4ForCausalLM")
_GPT_OSS = ("gpt_oss", "GptOssForCausalLM")
_KIMI2, _KIMI25 = ("kimi_k2", "DeepseekV3ForCausalLM"), ("kimi_k25", "KimiK25ForConditionalGeneration")
_GLM = ("glm_moe_dsa", "GlmMoeDsaForCausalLM")
_K2_COOKBOOK, _K2_SDK = "a51ccc050d73dab088bf7b0e2dd9b30ae85a4e55", "612681931a8c906ddb349f8ad0f582cb552189cd"
_K25_COOKBOOK, _K25_SDK = "2426b45b6af0da48d0dcce71bbce6225e5c73adc", "4d01dfe0332d63057c186e0b262165819efb6611"
_K26 = "b5aabbfb20227ed42becbf5541dbffd213942c58"
_NEMO, _NEMO_VL = ("nemotron_h", "NemotronHForCausalLM"), ("nemotron_h_omni", "NemotronHOmniForConditionalGeneration")

SERVED_MODELS: tuple[ServedModel, ...] = (
    _llama("Llama-3.1-8B-Instruct", True),
    _llama("Llama-3.2-1B", False),
    _llama("Llama-3.2-3B", False),
    _llama("Llama-3.1-8B", False),
    _llama("Llama-3.1-70B", False),
    _llama("Llama-3.3-70B-Instruct", True),
    _qwen("Qwen3-VL-30B-A3B-Instruct", "qwen3_vl_instruct", True, _Q3VL, True),
    _qwen("Qwen3-VL-235B-A22B-Instruct", "qwen3_vl_instruct", True, _Q3VL, True),
    _qwen("Qwen3-8B-Base", "role_colon", False, _Q3),
    _qwen("Qwen3-30B-A3B-Base", "role_colon", False, _Q3M),
    _qwen("Qwen3-8B", "qwen3", True, _Q3),
    _qwen("Qwen3-32B", "qwen3", True, _Q3),
    _qwen("Qwen3-30B-A3B", "qwen3", True, _Q3M),
    _qwen("Qwen3-4B-Instruct-2507", "qwen3_instruct", True, _Q3),
    _qwen("Qwen3-30B-A3B-Instruct-2507", "qwen3_instruct", True, _Q3M),
    _qwen("Qwen3-235B-A22B-Instruct-2507", "qwen3_instruct", True, _Q3M),
    _qwen("Qwen3.5-4B", "qwen3_5", True, _Q35, True),
    _qwen("Qwen3.5-9B", "qwen3_5", True, _Q35, True),
    _qwen("Qwen3.5-9B-Base", "role_colon", False, _Q35, True),
    _qwen("Qwen3.5-27B", "qwen3_5", True, _Q35, True),
    _qwen("Qwen3.5-35B-A3B", "qwen3_5", True, _Q35M, True),
    _qwen("Qwen3.5-35B-A3B-Base", "role_colon", False, _Q35M, True),
    _qwen("Qwen3.5-397B-A17B", "qwen3_5", True, _Q35M, True),
    _qwen("Qwen3.6-27B", "qwen3_5", True, _Q35, True),
    _qwen("Qwen3.6-35B-A3B", "qwen3_5", True, _Q35M, True),
    _qwen("Qwen3.8-27B", "qwen3_8_xhigh_reasoning", True, _Q35, True),
    _other("deepseek-ai/DeepSeek-V3.1", "deepseek", "deepseekv3", 129280, _DS3),
    _other("deepseek-ai/DeepSeek-V3.1-Base", "deepseek", "role_colon", 129280, _DS3),
    _other("deepseek-ai/DeepSeek-V4.1-Flash", "deepseek", "deepseekv4_1", 129280, _DS4),
    _other("deepseek-ai/DeepSeek-V4.1-Flash-1017", "deepseek", "deepseekv4_1", 129280, _DS4),
    _other("openai/gpt-oss-20b", "gpt_oss", "gpt_oss_no_sysprompt", 201088, _GPT_OSS),
    _other("openai/gpt-oss-120b", "gpt_oss", "gpt_oss_no_sysprompt", 201088, _GPT_OSS),
    # Kimi's tokenizer is remote code at revisions pinned by tinker-cookbook 0.6.1 and the SDK 0.38.0.
    _kimi("moonshotai/Kimi-K2-Thinking", "kimi_k2", _KIMI2, (_K2_COOKBOOK, _K2_SDK)),
    _kimi("moonshotai/Kimi-K2.5", "kimi_k25", _KIMI25, (_K25_COOKBOOK, _K25_SDK)),
    _kimi("moonshotai/Kimi-K2.5-Text-Only", "kimi_k25", _KIMI25, ()),
    _kimi("moonshotai/Kimi-K2.6", "kimi_k26", _KIMI25, (_K26,)),
    _tml("moonshotai/Kimi-K3", "kimi_k31_pro_max_reasoning", 163840),
    _tml("moonshotai/Kimi-K3.1-Pro", "kimi_k31_pro_max_reasoning", 163840),
    _other("zai-org/GLM-5.3", "glm", "glm5_3_max_reasoning", 154880, _GLM),
    _other("zai-org/GLM-5.3-Flash", "glm", "glm5_3_max_reasoning", 154880, _GLM),
    _other("nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", "nemotron", "nemotron3", 131072, _NEMO),
    _other("nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-BF16", "nemotron", "nemotron3", 131072, _NEMO),
    _other("nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16", "nemotron", "nemotron3_ultra", 131072, _NEMO),
    _other("nvidia/NVIDIA-Nemotron-3.5-Lightning-30B-A3B-BF16", "nemotron", "nemotron3_ultra", 131072, _NEMO),
    _other("nvidia/NVIDIA-Nemotron-3.5-Super-VL-120B-A12B-BF16", "nemotron", "nemotron3_ultra", 131072, _NEMO_VL, True),
    _tml("thinkingmachines/Inkling", "tml_v0", 201088),
    _tml("thinkingmachines/Inkling-Small", "tml_v0", 201088),
    _tml("thinkingmachines/Inkling-2-Small", "tml_v0", 201088),
)

_BY_NAME = {model.name: model for model in SERVED_MODELS}


def served_model(name: str) -> ServedModel | None:
    """The table entry for ``name`` (a ``:suffix`` is ignored), or None."""
    return _BY_NAME.get(name.split(":", 1)[0])
