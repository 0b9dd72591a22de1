"""The official tinker 0.38.0 SDK, unmodified, through its public API against the mock.

One flow per HTTP transport the SDK supports (pyqwest and httpx, chosen by the server's client
config): LoRA training that lowers the loss, checkpoints, sampling, compute_logprobs, resuming from
a checkpoint with optimizer state, the REST client, and close. Every exchange of the run is checked
against the contracts by the journal.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import tinker
from sdk_support import BASE_MODEL, dataset, datum, endpoint_sequence, violations
from tinker import types

from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import TOKENIZER_DIR, encode

pytestmark = pytest.mark.sdk


@pytest.mark.parametrize("transport", ["pyqwest", "httpx"])
def test_official_sdk_full_flow(transport: str, sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock(
        ServerConfig(client_config={"pjwt_auth_enabled": False, "use_pyqwest_transport": transport == "pyqwest"})
    )
    service = tinker.ServiceClient(user_metadata={"purpose": "happy-path"})
    training = service.create_lora_training_client(base_model=BASE_MODEL, rank=8).result()
    tokenizer = training.get_tokenizer()
    assert tokenizer.encode("The model saved") == encode("The model saved")
    assert training.get_info().model_data.tokenizer_id == str(TOKENIZER_DIR)

    data = dataset()
    losses = []
    for _ in range(10):
        fwdbwd = training.forward_backward(data, "cross_entropy")
        optim = training.optim_step(types.AdamParams(learning_rate=0.02))
        losses.append(fwdbwd.result().metrics["loss:sum"])
        optim.result()
    assert losses[-1] < losses[0], losses
    assert all(later < earlier for earlier, later in zip(losses, losses[1:], strict=False)), losses

    state_path = training.save_state("after-10-steps").result().path
    assert state_path == f"tinker://{training.model_id}/weights/after-10-steps"
    sampler_path = training.save_weights_for_sampler("sampler-10").result().path
    assert sampler_path == f"tinker://{training.model_id}/sampler_weights/sampler-10"

    sampling = training.save_weights_and_get_sampling_client().result()
    prompt = types.ModelInput.from_ints(encode("The model"))
    params = types.SamplingParams(max_tokens=6, seed=7, temperature=1.0)
    response = sampling.sample(prompt, num_samples=2, sampling_params=params, include_prompt_logprobs=True).result()
    assert len(response.sequences) == 2
    for sequence in response.sequences:
        assert 1 <= len(sequence.tokens) <= 6
        assert sequence.logprobs is not None and len(sequence.logprobs) == len(sequence.tokens)
        assert all(lp <= 0 for lp in sequence.logprobs)
        assert sequence.stop_reason in ("length", "stop")
    assert response.prompt_logprobs is not None and response.prompt_logprobs[0] is None
    again = sampling.sample(prompt, num_samples=2, sampling_params=params).result()
    assert [s.tokens for s in again.sequences] == [s.tokens for s in response.sequences]  # same seed, same draw

    # compute_logprobs agrees with the training side's per-token logprobs of the same sequence.
    text = "The model saved a checkpoint."
    logprobs = sampling.compute_logprobs(types.ModelInput.from_ints(encode(text))).result()
    forward = training.forward([datum(text)], "cross_entropy").result()
    assert logprobs[0] is None
    np.testing.assert_allclose(logprobs[1:], forward.loss_fn_outputs[0]["logprobs"].data, atol=1e-5)
    assert forward.metrics["loss:sum"] == pytest.approx(-sum(logprobs[1:]), rel=1e-5)

    resumed = service.create_training_client_from_state_with_optimizer(state_path).result()
    assert resumed.model_id.endswith(":train:1")
    resumed_out = resumed.forward([datum(text)], "cross_entropy").result()
    np.testing.assert_allclose(
        resumed_out.loss_fn_outputs[0]["logprobs"].data, forward.loss_fn_outputs[0]["logprobs"].data, atol=1e-6
    )

    # RestClient holders are cached per process by the constructor's base_url/api_key (None when taken
    # from the environment), so pass them explicitly: each test talks to its own server.
    rest = tinker.RestClient(base_url=mock.base_url, api_key=mock.api_key)
    run = rest.get_training_run(training.model_id).result()
    assert run.base_model == BASE_MODEL and run.lora_rank == 8
    assert run.last_checkpoint is not None and run.last_checkpoint.tinker_path == state_path
    assert run.last_sampler_checkpoint is not None and run.last_sampler_checkpoint.tinker_path == sampler_path
    listed = rest.list_checkpoints(training.model_id).result()
    assert {c.tinker_path for c in listed.checkpoints} == {state_path, sampler_path}
    runs = rest.list_training_runs().result()
    assert {r.training_run_id for r in runs.training_runs} == {training.model_id, resumed.model_id}
    assert runs.cursor.total_count == 2
    capabilities = rest.get_server_capabilities().result()
    assert BASE_MODEL in {m.model_name for m in capabilities.supported_models}
    service.close("success").result()

    entries = mock.journal.entries()
    assert violations(entries) == []
    names = endpoint_sequence(entries)
    assert names[:3] == ["client_config", "client_dynamic_config", "create_session"]
    assert names.count("forward_backward") == 12 and names.count("optim_step") == 10
    finish = mock.journal.entries(endpoint="finish_session")
    assert len(finish) == 1 and finish[0].request_body["reason"] == {"type": "success"}
    fwdbwd = mock.journal.entries(endpoint="forward_backward")
    assert all(e.request_headers["content-type"] == "application/x-protobuf" for e in fwdbwd)
    proto_results = [
        e
        for e in mock.journal.entries(endpoint="retrieve_future")
        if e.response_headers.get("content-type") == "application/x-protobuf"
    ]
    assert proto_results, "forward/backward and sample results must be served as protobuf"
    # httpx sends `connection: keep-alive`; pyqwest does not. client/config always goes through httpx.
    training_calls = mock.journal.entries(endpoint=["optim_step", "asample", "get_info"])
    uses_httpx = {"connection" in e.request_headers for e in training_calls}
    assert uses_httpx == {transport == "httpx"}
