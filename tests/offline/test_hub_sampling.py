"""With stand-in tokenizers, completions end on the chat format's stop token and stop strings decode as the client's.

The model is trained (cross-entropy, official SDK) on one chat turn, then sampled greedily from the
turn's header: it writes the turn and stops on the chat stop token the renderer asks for, a token
the mock's 512-token tokenizer did not have.
"""

from __future__ import annotations

import pytest
import tinker
from sdk_support import violations
from tinker import types

from tinker_harness.mock_server.local import MockTinker

pytestmark = pytest.mark.sdk


def _train_on(training: tinker.TrainingClient, ids: list[int], steps: int = 40) -> None:
    datum = types.Datum(
        model_input=types.ModelInput.from_ints(ids[:-1]),
        loss_fn_inputs={"target_tokens": ids[1:], "weights": [1.0] * (len(ids) - 1)},
    )
    for _ in range(steps):
        training.forward_backward([datum], "cross_entropy").result()
        training.optim_step(types.AdamParams(learning_rate=0.05)).result()


def test_a_chat_stop_token_ends_the_completion(offline_sdk: MockTinker) -> None:
    # A base model: its EOS is <|endoftext|>, so only the requested stop token <|im_end|> can end the turn.
    training = tinker.ServiceClient().create_lora_training_client(base_model="Qwen/Qwen3-8B-Base", rank=8).result()
    tokenizer = training.get_tokenizer()
    header = tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    turn = tokenizer.encode("Fine, thanks.<|im_end|>", add_special_tokens=False)
    (im_end,) = tokenizer.encode("<|im_end|>", add_special_tokens=False)
    assert im_end >= 1024 and im_end != tokenizer.eos_token_id
    _train_on(training, header + turn)
    sampler = training.save_weights_and_get_sampling_client().result()
    params = types.SamplingParams(max_tokens=20, temperature=0.0, stop=[im_end])
    (sequence,) = sampler.sample(types.ModelInput.from_ints(header), 1, params).result().sequences
    assert sequence.tokens == turn and sequence.stop_reason == "stop"
    assert not violations(offline_sdk.journal.entries())


def test_a_stop_string_is_matched_on_the_models_own_decoding(offline_sdk: MockTinker) -> None:
    training = tinker.ServiceClient().create_lora_training_client(base_model="Qwen/Qwen3.5-9B-Base", rank=8).result()
    tokenizer = training.get_tokenizer()
    prompt = tokenizer.encode("User: hello\n\nAssistant:", add_special_tokens=False)
    reply = tokenizer.encode(" Hi there.\n\nUser:", add_special_tokens=False)
    _train_on(training, prompt + reply)
    sampler = training.save_weights_and_get_sampling_client().result()
    params = types.SamplingParams(max_tokens=30, temperature=0.0, stop=["\n\nUser:"])
    (sequence,) = sampler.sample(types.ModelInput.from_ints(prompt), 1, params).result().sequences
    assert sequence.stop_reason == "stop" and tokenizer.decode(sequence.tokens) == " Hi there.\n\nUser:"
