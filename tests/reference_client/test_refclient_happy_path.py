"""The official SDK's happy path (tests/sdk/test_happy_path.py), through the reference client (§20).

The same flow runs through the blocking client and the async one: LoRA training whose loss falls
at every step, both saves, a sampler from the training client, sampling with logprobs,
compute_logprobs against the training side, create-via-load with optimizer state, REST calls and
close. The journal then checks the wire: zero contract violations, the SDK's order of bootstrap
calls, the headers of §2.1 and the seq_id turn order of §8.2.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from refclient_support import BASE_MODEL, dataset, datum, endpoint_sequence, violations

from tinker_harness.contracts import AdamParams, SamplingParams
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import TOKENIZER_DIR, encode
from tinker_harness.reference_client import (
    SDK_VERSION,
    AsyncReferenceClient,
    ForwardBackwardResult,
    ReferenceClient,
    SampleResult,
)

TEXT = "The model saved a checkpoint."
PARAMS = SamplingParams(max_tokens=6, seed=7, temperature=1.0)


def check_losses(losses: list[float]) -> None:
    assert all(later < earlier for earlier, later in zip(losses, losses[1:], strict=False)), losses


def check_sample(response: SampleResult) -> None:
    assert len(response.sequences) == 2
    for sequence in response.sequences:
        assert 1 <= len(sequence.tokens) <= 6
        assert sequence.logprobs is not None and len(sequence.logprobs) == len(sequence.tokens)
        assert all(lp <= 0 for lp in sequence.logprobs)
        assert sequence.stop_reason in ("length", "stop") and sequence.sequence_id
    assert response.prompt_logprobs is not None and response.prompt_logprobs[0] is None
    assert len(response.prompt_logprobs) == len(encode("The model"))


def check_logprobs(logprobs: list[float | None], forward: ForwardBackwardResult) -> None:
    assert logprobs[0] is None and all(lp is not None for lp in logprobs[1:])
    np.testing.assert_allclose(np.array(logprobs[1:], dtype=float), forward.loss_fn_outputs[0]["logprobs"], atol=1e-5)
    assert forward.metrics["loss:sum"] == pytest.approx(-sum(lp or 0.0 for lp in logprobs[1:]), rel=1e-5)


def check_journal(mock: MockTinker, model_id: str) -> None:
    entries = mock.journal.entries()
    assert violations(entries) == []
    names = endpoint_sequence(entries)
    assert names[:3] == ["client_config", "client_dynamic_config", "create_session"]
    assert names.count("forward_backward") == 12 and names.count("optim_step") == 10
    finish = mock.journal.entries(endpoint="finish_session")
    assert len(finish) == 1 and finish[0].request_body == {"reason": {"type": "success"}, "detail": None}
    for entry in entries:
        headers = entry.request_headers
        assert headers["user-agent"].startswith("tinker-harness-reference-client/")
        assert headers["x-sdk-version"] == SDK_VERSION and headers["x-stainless-retry-count"] == "0"
    posts = [e for e in entries if e.method != "GET"]
    keys = [e.request_headers["x-idempotency-key"] for e in posts]
    assert len(set(keys)) == len(keys), "one idempotency key per logical call"
    fwdbwd = mock.journal.entries(endpoint="forward_backward")
    assert all(e.request_headers["content-type"] == "application/x-protobuf" for e in fwdbwd)
    assert {e.sdk_method for e in fwdbwd} == {"TrainingClient.forward_backward", "TrainingClient.forward"}
    # Training seq_ids of the first run, in submission order: 1, 2, 3, … with no gap (§8.2).
    seq_ids = [
        e.request_body["message"]["seq_id"] if e.endpoint == "forward_backward" else e.request_body["seq_id"]
        for e in mock.journal.entries(
            endpoint=["forward_backward", "optim_step", "save_weights", "save_weights_for_sampler"]
        )
        if (e.request_body.get("message", e.request_body)).get("model_id") == model_id
    ]
    assert seq_ids == list(range(1, len(seq_ids) + 1))
    polls = mock.journal.entries(endpoint="retrieve_future")
    proto_polls = [e for e in polls if e.request_headers.get("accept") == "application/x-protobuf"]
    assert {e.request_type for e in proto_polls} == {"ForwardBackward", "Forward", "Sample"}
    assert all(e.response_headers.get("content-type") == "application/x-protobuf" for e in proto_polls)
    asample = mock.journal.entries(endpoint="asample")
    assert sorted(e.request_body["seq_id"] for e in asample) == [0, 1, 2]
    assert all(e.request_headers["x-tinker-sampling-backpressure"] == "1" for e in asample)
    heartbeat_names = {e.sdk_method for e in mock.journal.entries(endpoint=["client_config", "session_heartbeat"])}
    assert heartbeat_names == {None}, "background traffic carries no x-sdk-method"


def test_sync_client_full_flow(tinker_mock: MockTinker) -> None:
    with ReferenceClient(tinker_mock.base_url, tinker_mock.api_key, user_metadata={"purpose": "happy-path"}) as client:
        training = client.create_lora_training_client(BASE_MODEL, rank=8)
        assert training.get_info().model_data.tokenizer_id == str(TOKENIZER_DIR)
        losses = []
        for _ in range(10):
            step = training.forward_backward(dataset(), "cross_entropy")
            optim = training.optim_step(AdamParams(learning_rate=0.02))
            losses.append(step.result().metrics["loss:sum"])
            optim.result()
        check_losses(losses)

        state_path = training.save_state("after-10-steps").result().path
        assert state_path == f"tinker://{training.model_id}/weights/after-10-steps"
        sampler_path = training.save_weights_for_sampler("sampler-10").result().path
        assert sampler_path == f"tinker://{training.model_id}/sampler_weights/sampler-10"

        sampling = training.save_weights_and_get_sampling_client()
        assert sampling.base_model == BASE_MODEL
        prompt = encode("The model")
        response = sampling.sample(prompt, num_samples=2, sampling_params=PARAMS, include_prompt_logprobs=True).result()
        check_sample(response)
        again = sampling.sample(prompt, num_samples=2, sampling_params=PARAMS).result()
        assert [s.tokens for s in again.sequences] == [s.tokens for s in response.sequences]

        logprobs = sampling.compute_logprobs(encode(TEXT)).result()
        forward = training.forward([datum(TEXT)], "cross_entropy").result()
        check_logprobs(logprobs, forward)

        resumed = client.create_training_client_from_state(state_path, with_optimizer=True)
        assert resumed.model_id == f"{client.session_id}:train:1"
        resumed_out = resumed.forward([datum(TEXT)], "cross_entropy").result()
        np.testing.assert_allclose(
            resumed_out.loss_fn_outputs[0]["logprobs"], forward.loss_fn_outputs[0]["logprobs"], atol=1e-6
        )

        run = client.rest.get_training_run(training.model_id)
        assert run.base_model == BASE_MODEL and run.lora_rank == 8
        assert run.last_checkpoint is not None and run.last_checkpoint.tinker_path == state_path
        assert run.last_sampler_checkpoint is not None and run.last_sampler_checkpoint.tinker_path == sampler_path
        listed = client.rest.list_checkpoints(training.model_id)
        assert {c.tinker_path for c in listed.checkpoints} == {state_path, sampler_path}
        runs = client.rest.list_training_runs()
        assert {r.training_run_id for r in runs.training_runs} == {training.model_id, resumed.model_id}
        assert runs.cursor.total_count == 2
        capabilities = client.rest.get_server_capabilities()
        assert BASE_MODEL in {m.model_name for m in capabilities.supported_models}
        model_id = training.model_id
    check_journal(tinker_mock, model_id)


async def async_flow(mock: MockTinker) -> str:
    async with AsyncReferenceClient(mock.base_url, mock.api_key, user_metadata={"purpose": "happy-path"}) as client:
        training = await client.create_lora_training_client(BASE_MODEL, rank=8)
        losses = []
        for _ in range(10):
            step = training.forward_backward(dataset(), "cross_entropy")
            optim = training.optim_step(AdamParams(learning_rate=0.02))
            losses.append((await step).metrics["loss:sum"])
            await optim
        check_losses(losses)

        state_path = (await training.save_state("after-10-steps")).path
        sampler_path = (await training.save_weights_for_sampler("sampler-10")).path
        assert sampler_path.endswith("/sampler_weights/sampler-10")

        sampling = await training.save_weights_and_get_sampling_client()
        prompt = encode("The model")
        first, again = await asyncio.gather(
            sampling.sample(prompt, 2, PARAMS, include_prompt_logprobs=True), sampling.sample(prompt, 2, PARAMS)
        )
        check_sample(first)
        assert [s.tokens for s in again.sequences] == [s.tokens for s in first.sequences]

        logprobs, forward = await asyncio.gather(
            sampling.compute_logprobs(encode(TEXT)), training.forward([datum(TEXT)], "cross_entropy")
        )
        check_logprobs(logprobs, forward)

        resumed = await client.create_training_client_from_state(state_path, with_optimizer=True)
        resumed_out = await resumed.forward([datum(TEXT)], "cross_entropy")
        np.testing.assert_allclose(
            resumed_out.loss_fn_outputs[0]["logprobs"], forward.loss_fn_outputs[0]["logprobs"], atol=1e-6
        )

        run = await client.rest.get_training_run_by_tinker_path(state_path)
        assert run.last_checkpoint is not None and run.last_checkpoint.tinker_path == state_path
        checkpoints = [c async for c in client.rest.iter_user_checkpoints(page_size=1)]
        assert {c.tinker_path for c in checkpoints} == {state_path, sampler_path}
        session = await client.rest.get_session(client.session_id)
        assert set(session.training_run_ids) == {training.model_id, resumed.model_id}
        assert client.session_id in (await client.rest.list_sessions()).sessions
        return training.model_id


def test_async_client_full_flow(tinker_mock: MockTinker) -> None:
    model_id = asyncio.run(async_flow(tinker_mock))
    check_journal(tinker_mock, model_id)
