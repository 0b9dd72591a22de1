"""The served model table: tinker-cookbook's models (and the SDK's) listed, trainable, with their metadata."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
import tinker

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.served_models import LLAMA3_TOKENIZER_REPO, SERVED_MODELS, served_model
from tinker_harness.mock_server.standin_tokenizer import model_vocabulary

pytestmark = pytest.mark.sdk

# tinker-cookbook 0.6.1's recipe defaults and a few of its table's families.
COOKBOOK_DEFAULTS = ("Qwen/Qwen3.5-9B-Base", "Qwen/Qwen3.5-9B", "Qwen/Qwen3.5-4B", "meta-llama/Llama-3.1-8B")


def test_every_served_model_is_listed_with_its_context_length(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock()
    rest = tinker.RestClient(base_url=mock.base_url, api_key=mock.api_key)
    listed = rest.get_server_capabilities().result().supported_models
    assert [(m.model_name, m.max_context_length) for m in listed] == [
        (m.name, m.max_context_length) for m in SERVED_MODELS
    ]
    assert set(COOKBOOK_DEFAULTS) <= {m.model_name for m in listed}
    listed_json = mock.journal.entries(endpoint="get_server_capabilities")[-1].response_body["supported_models"]
    assert all("renderer" not in m for m in listed_json)  # a harness fact, not part of SupportedModel


def test_the_cookbook_default_model_trains_and_unknown_names_are_refused(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock()
    service = tinker.ServiceClient()
    training = service.create_lora_training_client(base_model="Qwen/Qwen3.5-9B-Base", rank=4).result()
    assert training.get_info().model_data.model_name == "Qwen/Qwen3.5-9B-Base"
    with pytest.raises(tinker.BadRequestError, match="unsupported-base-model|not available"):
        service.create_lora_training_client(base_model="acme/Nope-1B", rank=4).result()
    refused = mock.journal.entries(endpoint="create_model")[-1]
    assert refused.status == 400 and refused.response_body["code"] == "unsupported-base-model"


def test_accept_any_base_model_trains_an_unlisted_name(sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_mock(ServerConfig(accept_any_base_model=True))
    training = tinker.ServiceClient().create_lora_training_client(base_model="acme/Nope-1B", rank=4).result()
    assert training.get_info().model_data.model_name == "acme/Nope-1B"


def test_table_entries_carry_family_facts() -> None:
    qwen, base, llama = (served_model(n) for n in ("Qwen/Qwen3-8B", "Qwen/Qwen3.5-9B-Base", "meta-llama/Llama-3.2-1B"))
    assert qwen is not None and base is not None and llama is not None
    assert (qwen.renderer, qwen.is_chat, qwen.vocab_size, qwen.eos) == ("qwen3", True, 151936, "<|im_end|>")
    assert (base.renderer, base.is_chat, base.model_type, base.eos) == ("role_colon", False, "qwen3_5", "<|endoftext|>")
    # Llama 3 base models load the instruct tokenizer (SDK and cookbook remap), so their turns end with <|eot_id|>.
    assert (llama.tokenizer_repo, llama.eos, llama.family.bos) == (
        LLAMA3_TOKENIZER_REPO,
        "<|eot_id|>",
        "<|begin_of_text|>",
    )
    assert served_model("Qwen/Qwen3-8B:peft") is qwen and served_model("acme/x") is None


@pytest.mark.parametrize("tokenizers", ["builtin", "hub"])
def test_get_info_advertises_the_tokenizer_of_the_mode(tokenizers: str, sdk_mock: Callable[..., MockTinker]) -> None:
    sdk_mock(ServerConfig(tokenizers=tokenizers))
    service = tinker.ServiceClient()
    llama = service.create_lora_training_client(base_model="meta-llama/Llama-3.2-1B", rank=4).result()
    tml = service.create_lora_training_client(base_model="thinkingmachines/Inkling", rank=4).result()
    hub = tokenizers == "hub"
    assert (llama.get_info().model_data.tokenizer_id == LLAMA3_TOKENIZER_REPO) is hub
    # tml-renderers tokenizes Inkling, not the Hub: it keeps the mock's own tokenizer in both modes.
    assert tml.get_info().model_data.tokenizer_id.endswith("tokenizer")
    vocab = model_vocabulary("meta-llama/Llama-3.2-1B", hub_tokenizers=hub)
    assert (vocab.vocab_size > 1000) is hub


def test_serve_flags_accept_any_model_with_hub_tokenizers() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tinker_harness",
            "serve",
            "--port",
            "0",
            "--accept-any-base-model",
            "--tokenizers",
            "hub",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        headers = {"X-API-Key": "tml-flags-test"}
        session = httpx.post(
            f"{url}/api/v1/create_session",
            json={"tags": [], "user_metadata": None, "sdk_version": "0.38.0", "type": "create_session"},
            headers=headers,
        ).json()["session_id"]
        body = {"session_id": session, "model_seq_id": 0, "base_model": "acme/Nope-1B", "type": "create_model"}
        answer = httpx.post(f"{url}/api/v1/create_model", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
    finally:
        process.terminate()
        process.wait(timeout=20)
