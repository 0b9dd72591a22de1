"""Tokenizer families of the served base models: their special tokens, bos, eos and pad.

A family names the control tokens a chat format (a tinker-cookbook renderer, a Hugging Face chat
template) writes as *single* tokens, e.g. Qwen's ``<|im_start|>``/``<|im_end|>`` or Llama 3's
``<|start_header_id|>``/``<|eot_id|>``. ``special`` tokens are dropped by
``decode(skip_special_tokens=True)``; ``added`` ones (Qwen's ``<think>``) are single tokens that
decoding keeps, as in the real tokenizers. Chat models end a turn with ``eos_chat``, base models
with ``eos_base``. The ``builtin`` family is the mock's own 512-token tokenizer
(:mod:`mock_server.tokenizer`), used for names outside the table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BUILTIN", "FAMILIES", "TokenFamily"]


@dataclass(frozen=True)
class TokenFamily:
    name: str
    special: tuple[str, ...]
    added: tuple[str, ...] = ()
    bos: str | None = None
    eos_chat: str = ""
    eos_base: str = ""
    pad: str | None = None
    # The tokenizer prepends bos when asked for special tokens (Llama 3), else it adds nothing.
    prepends_bos: bool = False

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every control token, in id order (special first, then added)."""
        return self.special + self.added

    def eos(self, is_chat: bool) -> str:
        return self.eos_chat if is_chat else self.eos_base


_QWEN_SPECIAL = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
_QWEN_ADDED = (
    "<tool_call>",
    "</tool_call>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
    "<tool_response>",
    "</tool_response>",
    "<think>",
    "</think>",
)
_DEEPSEEK_SPECIAL = (
    "<｜begin▁of▁sentence｜>",
    "<｜end▁of▁sentence｜>",
    "<｜▁pad▁｜>",
    "<｜User｜>",
    "<｜Assistant｜>",
    "<｜System｜>",
    "<｜tool▁calls▁begin｜>",
    "<｜tool▁calls▁end｜>",
    "<｜tool▁call▁begin｜>",
    "<｜tool▁call▁end｜>",
    "<｜tool▁outputs▁begin｜>",
    "<｜tool▁outputs▁end｜>",
    "<｜tool▁output▁begin｜>",
    "<｜tool▁output▁end｜>",
    "<｜tool▁sep｜>",
    "<｜fim▁hole｜>",
    "<｜fim▁begin｜>",
    "<｜fim▁end｜>",
)

FAMILIES: dict[str, TokenFamily] = {
    family.name: family
    for family in (
        TokenFamily(
            "qwen3", _QWEN_SPECIAL, _QWEN_ADDED, eos_chat="<|im_end|>", eos_base="<|endoftext|>", pad="<|endoftext|>"
        ),
        TokenFamily(
            "llama3",
            (
                "<|begin_of_text|>",
                "<|end_of_text|>",
                "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>",
                "<|finetune_right_pad_id|>",
                "<|step_id|>",
                "<|start_header_id|>",
                "<|end_header_id|>",
                "<|eom_id|>",
                "<|eot_id|>",
                "<|python_tag|>",
            ),
            bos="<|begin_of_text|>",
            eos_chat="<|eot_id|>",
            eos_base="<|end_of_text|>",
            pad="<|finetune_right_pad_id|>",
            prepends_bos=True,
        ),
        TokenFamily(
            "deepseek",
            _DEEPSEEK_SPECIAL,
            ("<think>", "</think>"),
            bos="<｜begin▁of▁sentence｜>",
            eos_chat="<｜end▁of▁sentence｜>",
            eos_base="<｜end▁of▁sentence｜>",
            pad="<｜▁pad▁｜>",
            prepends_bos=True,
        ),
        TokenFamily(
            "gpt_oss",
            (
                "<|startoftext|>",
                "<|endoftext|>",
                "<|return|>",
                "<|constrain|>",
                "<|channel|>",
                "<|start|>",
                "<|end|>",
                "<|message|>",
                "<|call|>",
                "<|endofprompt|>",
            ),
            bos="<|startoftext|>",
            eos_chat="<|return|>",
            eos_base="<|return|>",
            pad="<|endoftext|>",
        ),
        TokenFamily(
            "glm",
            (
                "<|endoftext|>",
                "[MASK]",
                "[gMASK]",
                "[sMASK]",
                "<sop>",
                "<eop>",
                "<|system|>",
                "<|user|>",
                "<|assistant|>",
                "<|observation|>",
                "<|begin_of_image|>",
                "<|end_of_image|>",
            ),
            (
                "<think>",
                "</think>",
                "<tool_call>",
                "</tool_call>",
                "<tool_response>",
                "</tool_response>",
                "<arg_key>",
                "</arg_key>",
                "<arg_value>",
                "</arg_value>",
            ),
            eos_chat="<|endoftext|>",
            eos_base="<|endoftext|>",
            pad="<|endoftext|>",
        ),
        TokenFamily(
            "nemotron",
            ("<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"),
            ("<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"),
            bos="<s>",
            eos_chat="<|im_end|>",
            eos_base="</s>",
            pad="</s>",
        ),
        TokenFamily(
            "kimi",
            (
                "[BOS]",
                "[EOS]",
                "<|im_end|>",
                "<|im_user|>",
                "<|im_assistant|>",
                "<|im_system|>",
                "<|im_middle|>",
                "<|media_begin|>",
                "<|media_content|>",
                "<|media_end|>",
                "<|media_pad|>",
                "<|tool_calls_section_begin|>",
                "<|tool_calls_section_end|>",
                "<|tool_call_begin|>",
                "<|tool_call_argument_begin|>",
                "<|tool_call_end|>",
                "[PAD]",
            ),
            ("<think>", "</think>"),
            bos="[BOS]",
            eos_chat="<|im_end|>",
            eos_base="[EOS]",
            pad="[PAD]",
        ),
    )
}

BUILTIN = TokenFamily("builtin", ("<|endoftext|>", "<|pad|>", "<|image|>"), eos_chat="<|endoftext|>")
