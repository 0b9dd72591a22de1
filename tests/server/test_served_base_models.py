"""The served base models: the official SDK's examples and tinker-cookbook 0.6.1's model table, so recipe
defaults such as ``Qwen/Qwen3.5-9B-Base`` work unmodified; anything else is refused unless the server accepts
any base model (``serve --accept-any-base-model``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import httpx
import tinker

from tinker_harness.mock_server.config import DEFAULT_BASE_MODELS, ServerConfig
from tinker_harness.mock_server.local import MockTinker

# Defaults of the cookbook's recipes (sl_basic, rl_basic, the loops, DPO) and its chat and Llama models.
RECIPE_DEFAULTS = ("Qwen/Qwen3.5-9B-Base", "Qwen/Qwen3.5-9B", "Qwen/Qwen3.5-4B", "meta-llama/Llama-3.1-8B-Instruct")


def _create(mock: MockTinker | str, base_model: str) -> httpx.Response:
    """A create_model for ``base_model`` in a fresh session, as the SDK sends it (§5.1)."""
    url = mock if isinstance(mock, str) else mock.base_url
    headers = {"X-API-Key": "tml-model-table-key" if isinstance(mock, str) else mock.api_key}
    opening = {"tags": [], "sdk_version": "0.38.0", "user_metadata": {}, "type": "create_session"}
    session = httpx.post(f"{url}/api/v1/create_session", json=opening, headers=headers)
    body = {"session_id": session.json()["session_id"], "model_seq_id": 0, "base_model": base_model,
            "lora_config": {"rank": 4}, "type": "create_model"}  # fmt: skip
    return httpx.post(f"{url}/api/v1/create_model", json=body, headers=headers)


def test_every_model_of_the_table_is_advertised(tinker_mock: MockTinker) -> None:
    answer = httpx.get(
        f"{tinker_mock.env['TINKER_BASE_URL']}/api/v1/get_server_capabilities",
        headers={"X-API-Key": tinker_mock.env["TINKER_API_KEY"]},
    ).json()
    advertised = [m["model_name"] for m in answer["supported_models"]]
    assert advertised == [name for name, _, _ in DEFAULT_BASE_MODELS]
    assert len(advertised) == len(set(advertised)) >= 46
    assert set(RECIPE_DEFAULTS) <= set(advertised)
    assert all("renderer" not in m for m in answer["supported_models"])  # not part of SupportedModel


def test_the_sdk_trains_a_cookbook_default_model(tinker_mock: MockTinker) -> None:
    service = tinker.ServiceClient(
        base_url=tinker_mock.env["TINKER_BASE_URL"], api_key=tinker_mock.env["TINKER_API_KEY"]
    )
    training = service.create_lora_training_client(base_model="Qwen/Qwen3.5-9B-Base", rank=4).result()
    assert training.get_info().model_data.model_name == "Qwen/Qwen3.5-9B-Base"
    service.close("success").result()


def test_an_unknown_model_is_refused_unless_any_is_accepted(
    tinker_mock_factory: Callable[..., MockTinker],
) -> None:
    strict = tinker_mock_factory(ServerConfig())
    refused = _create(strict, "acme/not-a-model")
    assert refused.status_code == 400 and refused.json()["code"] == "unsupported-base-model"
    assert _create(strict, "Qwen/Qwen3.8-27B").status_code == 200
    lenient = tinker_mock_factory(ServerConfig(accept_any_base_model=True))
    assert _create(lenient, "acme/not-a-model").status_code == 200


def test_serve_accepts_any_base_model_when_asked() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tinker_harness", "serve", "--port", "0", "--accept-any-base-model"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        assert _create(url, "acme/not-a-model").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)
