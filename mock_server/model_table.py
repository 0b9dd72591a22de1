"""The base models the mock serves by default: the official SDK's examples and every model of
tinker-cookbook 0.6.1's model table (``tinker_cookbook/model_info.py``), so cookbook recipes, whose
defaults name these models, create training and sampling clients unmodified (§5 row 8, §16.8).

Each entry: the Hugging Face name, its context length, and the cookbook's first recommended renderer
(``role_colon`` for base models, a chat renderer for instruct and chat models). The mock's tiny model is the
same for all of them; the renderer family says which chat format a client will use with it.
"""

from __future__ import annotations

__all__ = ["DEFAULT_BASE_MODELS", "ModelRow"]

ModelRow = tuple[str, int, str]  # (model name, max context length, renderer family)

_LLAMA, _QWEN, _LONG = 131072, 32768, 131072

DEFAULT_BASE_MODELS: tuple[ModelRow, ...] = (
    # Qwen
    ("Qwen/Qwen3-8B", _QWEN, "qwen3"),
    ("Qwen/Qwen3-8B-Base", _QWEN, "role_colon"),
    ("Qwen/Qwen3-32B", _QWEN, "qwen3"),
    ("Qwen/Qwen3-30B-A3B", _QWEN, "qwen3"),
    ("Qwen/Qwen3-30B-A3B-Base", _QWEN, "role_colon"),
    ("Qwen/Qwen3-4B-Instruct-2507", _QWEN, "qwen3_instruct"),
    ("Qwen/Qwen3-30B-A3B-Instruct-2507", _QWEN, "qwen3_instruct"),
    ("Qwen/Qwen3-235B-A22B-Instruct-2507", _QWEN, "qwen3_instruct"),
    ("Qwen/Qwen3-VL-30B-A3B-Instruct", _QWEN, "qwen3_vl_instruct"),
    ("Qwen/Qwen3-VL-235B-A22B-Instruct", _QWEN, "qwen3_vl_instruct"),
    ("Qwen/Qwen3.5-4B", _LONG, "qwen3_5"),
    ("Qwen/Qwen3.5-9B", _LONG, "qwen3_5"),
    ("Qwen/Qwen3.5-9B-Base", _LONG, "role_colon"),
    ("Qwen/Qwen3.5-27B", _LONG, "qwen3_5"),
    ("Qwen/Qwen3.5-35B-A3B", _LONG, "qwen3_5"),
    ("Qwen/Qwen3.5-35B-A3B-Base", _LONG, "role_colon"),
    ("Qwen/Qwen3.5-397B-A17B", _LONG, "qwen3_5"),
    ("Qwen/Qwen3.6-27B", _LONG, "qwen3_5"),
    ("Qwen/Qwen3.6-35B-A3B", _LONG, "qwen3_5"),
    ("Qwen/Qwen3.8-27B", _LONG, "qwen3_8_xhigh_reasoning"),
    # Llama (the SDK and the cookbook map meta-llama/Llama-3* to one tokenizer repository, protocol §8.6)
    ("meta-llama/Llama-3.2-1B", _LLAMA, "role_colon"),
    ("meta-llama/Llama-3.2-3B", _LLAMA, "role_colon"),
    ("meta-llama/Llama-3.1-8B", _LLAMA, "role_colon"),
    ("meta-llama/Llama-3.1-8B-Instruct", _LLAMA, "llama3"),
    ("meta-llama/Llama-3.1-70B", _LLAMA, "role_colon"),
    ("meta-llama/Llama-3.3-70B-Instruct", _LLAMA, "llama3"),
    # DeepSeek
    ("deepseek-ai/DeepSeek-V3.1", _LONG, "deepseekv3"),
    ("deepseek-ai/DeepSeek-V3.1-Base", _LONG, "role_colon"),
    ("deepseek-ai/DeepSeek-V4.1-Flash", _LONG, "deepseekv4_1"),
    ("deepseek-ai/DeepSeek-V4.1-Flash-1017", _LONG, "deepseekv4_1"),
    # Kimi
    ("moonshotai/Kimi-K2-Thinking", _LONG, "kimi_k2"),
    ("moonshotai/Kimi-K2.5", _LONG, "kimi_k25"),
    ("moonshotai/Kimi-K2.6", _LONG, "kimi_k26"),
    ("moonshotai/Kimi-K3.1-Pro", _LONG, "kimi_k31_pro_max_reasoning"),
    # Nemotron
    ("nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", _LONG, "nemotron3"),
    ("nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-BF16", _LONG, "nemotron3"),
    ("nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16", _LONG, "nemotron3_ultra"),
    ("nvidia/NVIDIA-Nemotron-3.5-Lightning-30B-A3B-BF16", _LONG, "nemotron3_ultra"),
    ("nvidia/NVIDIA-Nemotron-3.5-Super-VL-120B-A12B-BF16", _LONG, "nemotron3_ultra"),
    # gpt-oss, GLM, Inkling
    ("openai/gpt-oss-20b", _LONG, "gpt_oss_no_sysprompt"),
    ("openai/gpt-oss-120b", _LONG, "gpt_oss_no_sysprompt"),
    ("zai-org/GLM-5.3", _LONG, "glm5_3_max_reasoning"),
    ("zai-org/GLM-5.3-Flash", _LONG, "glm5_3_max_reasoning"),
    ("thinkingmachines/Inkling", _LONG, "tml_v0"),
    ("thinkingmachines/Inkling-Small", _LONG, "tml_v0"),
    ("thinkingmachines/Inkling-2-Small", _LONG, "tml_v0"),
)
