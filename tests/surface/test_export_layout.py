"""Exports a user can load: PEFT-layout safetensors, stand-in base weights that match, age encryption."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import numpy as np
import pyrage
import pytest
import tinker
from safetensors.numpy import load as load_safetensors

from tinker_harness.mock_server.exports import plain_export_files
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.model import BaseWeights, LoraConfig, LoraModel, TrainingState
from tinker_harness.mock_server.peft_layout import adapter_config, adapter_tensors, base_model_tensors

pytestmark = pytest.mark.sdk

VOCAB = 64


def _trained(config: LoraConfig) -> LoraModel:
    model = LoraModel.create(BaseWeights.for_model("Qwen/Qwen3-8B", VOCAB), config, np.random.default_rng(0))
    for name, array in model.params.items():  # B starts at zero: give the adapter an effect
        if name.endswith(".B"):
            array[...] = np.random.default_rng(1).normal(0.0, 0.1, array.shape)
    return model


def test_peft_tensors_reproduce_the_models_logits_delta() -> None:
    config = LoraConfig(rank=4, seed=0, train_mlp=True, train_attn=True, train_unembed=True)
    model = _trained(config)
    tensors = adapter_tensors(model.params, config)
    assert {k: v.shape for k, v in tensors.items()} == {
        "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight": (4, VOCAB),
        "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight": (VOCAB, 4),
        "base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight": (4, VOCAB),
        "base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight": (VOCAB, 4),
        "base_model.model.model.unembed_tokens.lora_A.weight": (4, 32),
        "base_model.model.model.unembed_tokens.lora_B.weight": (VOCAB, 4),
    }
    peft = adapter_config("Qwen/Qwen3-8B", config)
    scale = peft["lora_alpha"] / peft["r"]

    def delta(module: str, x: np.ndarray) -> np.ndarray:  # PEFT: (alpha / r) · B · A · x
        key = f"base_model.model.{module}"
        return scale * tensors[f"{key}.lora_B.weight"] @ (tensors[f"{key}.lora_A.weight"] @ x)

    base = LoraModel.create(model.base, config, np.random.default_rng(0))
    for token in (0, 7, 63):
        onehot = np.eye(VOCAB)[token]
        expected = (
            delta("model.layers.0.mlp.down_proj", onehot)
            + delta("model.layers.0.self_attn.o_proj", onehot)  # the prefix is this one token
            + delta("model.unembed_tokens", model.base.embedding[token])
        )
        shift = model.next_token_logprobs(model.start_decode([token])) - base.next_token_logprobs(
            base.start_decode([token])
        )
        assert np.ptp(shift - expected) < 1e-4  # equal up to the log-softmax normaliser


@pytest.mark.parametrize("vision", [False, True])
def test_every_adapter_module_exists_in_the_stand_in_base_weights(vision: bool) -> None:
    config = LoraConfig(rank=2, seed=0, train_mlp=True, train_attn=True, train_unembed=True)
    base = base_model_tensors(BaseWeights.for_model("Qwen/Qwen3.5-9B-Base", VOCAB), vision=vision)
    prefix = "model.language_model." if vision else "model."
    for key, tensor in adapter_tensors(_trained(config).params, config).items():
        module = key.removeprefix("base_model.model.").rsplit(".lora_", 1)[0]
        module = "lm_head" if module == "model.unembed_tokens" else prefix + module.removeprefix("model.")
        out_dim, in_dim = base[f"{module}.weight"].shape
        assert tensor.shape[1 if ".lora_A." in key else 0] == (in_dim if ".lora_A." in key else out_dim)


def test_an_export_with_recipients_is_age_encrypted(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock()
    identity, stranger = pyrage.x25519.Identity.generate(), pyrage.x25519.Identity.generate()
    rest = tinker.RestClient(base_url=mock.base_url, api_key=mock.api_key)  # not (): that keeps its first server
    training = tinker.ServiceClient().create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=4).result()
    recipients = [str(identity.to_public()), str(stranger.to_public())]
    path = training.save_weights_external("sealed", age_encryption_recipients=recipients).result().path
    urls = rest.get_external_weights_urls(path).result().urls
    assert sorted(urls) == ["adapter_config.json.age", "adapter_model.safetensors.age"]
    record = next(r for r in mock.server.state.checkpoints.values() if r.tinker_path == path)
    plain = plain_export_files(record)
    for name, url in urls.items():
        sealed = httpx.get(url).content
        assert pyrage.decrypt(sealed, [identity]) == pyrage.decrypt(sealed, [stranger]) == plain[name[:-4]]
        with pytest.raises(pyrage.DecryptError):
            pyrage.decrypt(sealed, [pyrage.x25519.Identity.generate()])
    config = json.loads(plain["adapter_config.json"])
    state = TrainingState.from_bytes(record.state)
    assert config["peft_type"] == "LORA" and config["r"] == 4 and config["base_model_name_or_path"] == "Qwen/Qwen3-8B"
    arrays = load_safetensors(plain["adapter_model.safetensors"])
    assert all(np.array_equal(arrays[k], v) for k, v in adapter_tensors(state.weights, state.lora_config).items())
    plain_path = training.save_weights_external("open").result().path
    assert sorted(rest.get_external_weights_urls(plain_path).result().urls) == sorted(plain)


def test_a_bad_recipient_is_refused_before_saving(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock()
    training = tinker.ServiceClient().create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=4).result()
    with pytest.raises(tinker.BadRequestError, match="not an age X25519 or SSH public key"):
        training.save_weights_external("x", age_encryption_recipients=["age1-not-a-key"]).result()
    (entry,) = mock.journal.entries(endpoint="save_weights_external")
    assert entry.status == 400 and entry.response_body["code"] == "invalid-age-recipient"
    assert not [r for r in mock.server.state.checkpoints.values() if r.kind == "external_weights"]
