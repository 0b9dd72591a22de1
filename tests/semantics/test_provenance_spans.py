"""Provenance spans (SDK 0.38 ``Datum.with_provenance``): decoded, checked (contract, record), journalled."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import tinker
from sdk_support import violations
from tinker import types

from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.provenance import ProvenanceSpan, datum_provenance_problems, tiling_problems
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.mock_server.tokenizer import encode

pytestmark = pytest.mark.sdk


def _span(kind: str, length: int, offset: int = 0, sequence_id: str = "s") -> ProvenanceSpan:
    return ProvenanceSpan("prompt" if kind == "prompt" else "sampled", sequence_id, offset, length)


def test_the_contract_pairs_and_tiles() -> None:
    good = ([_span("prompt", 3), _span("sampled", 2)], [_span("prompt", 2, 1), _span("sampled", 3)])
    assert tiling_problems(*good, 5, 5, "d") == []
    assert tiling_problems([], [], 5, 5, "d") == []
    assert "pair" in tiling_problems(good[0], [], 5, 5, "d")[0]
    assert "cover 5 positions but target_tokens have 4" in " ".join(tiling_problems(*good, 5, 4, "d"))
    bad = tiling_problems([_span("prompt", -1, sequence_id="")], [_span("sampled", -1)], None, None, "d")
    assert len(bad) == 3 and "sequence_id must be non-empty" in bad[0]
    datum = pb.Datum(model_input=[pb.Chunk(encoded_text=pb.EncodedTextChunk(tokens=bytes(12)))])
    datum.model_input_spans.add().prompt_tokens.CopyFrom(pb.PromptProvenanceSpan(sequence_id="s", length=2))
    datum.loss_fn_input_spans.add()  # neither arm set
    assert "sets neither" in datum_provenance_problems(datum, "data[0]")[0]


def _rl_data(
    training: tinker.TrainingClient, *, corrupt: bool = False, sequence_id: str | None = None
) -> list[types.Datum]:
    """rl_loop's datum layout: prompt + sampled[:-1] as input, provenance naming the sample."""
    sampler = training.save_weights_and_get_sampling_client(record_stability_info=True).result()
    prompt = types.ModelInput.from_ints(encode("The model saved a checkpoint"))
    params = types.SamplingParams(max_tokens=6, stop=[], seed=3)
    data = []
    for sequence in sampler.sample(prompt, 2, params).result().sequences:
        tokens, n = list(sequence.tokens), prompt.length - 1
        if corrupt:
            tokens[0] = (tokens[0] + 1) % 512
        name = sequence_id or sequence.sequence_id
        datum = types.Datum(
            model_input=prompt.append(types.EncodedTextChunk(tokens=tokens[:-1])),
            loss_fn_inputs={
                "target_tokens": [0] * n + list(sequence.tokens),
                "logprobs": [0.0] * n + list(sequence.logprobs or []),
                "advantages": [0.0] * n + [1.0] * len(tokens),
            },
        )
        data.append(
            datum.with_provenance(
                model_input=[
                    types.PromptProvenanceSpan(sequence_id=name, length=prompt.length),
                    types.SampledProvenanceSpan(sequence_id=name, length=len(tokens) - 1),
                ],
                loss_fn_inputs=[
                    types.PromptProvenanceSpan(sequence_id=name, offset=1, length=prompt.length - 1),
                    types.SampledProvenanceSpan(sequence_id=name, length=len(tokens)),
                ],
            )
        )
    return data


def test_spans_of_recorded_samples_train_and_reach_the_journal(sdk_mock: Callable[..., MockTinker]) -> None:
    mock = sdk_mock()
    training = tinker.ServiceClient().create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=4).result()
    data = _rl_data(training)
    assert training.forward_backward(data, "stable_reinforce").result().metrics
    (entry,) = mock.journal.entries(endpoint="forward_backward")
    sent = entry.request_body["message"]["data"][0]
    spans = data[0].model_input_spans
    assert spans is not None and sent["model_input_spans"][1] == {
        "type": "sampled",
        "sequence_id": spans[1].sequence_id,
        "offset": 0,
        "length": spans[1].length,
    }
    assert [s["type"] for s in sent["loss_fn_input_spans"]] == ["prompt", "sampled"]
    assert not violations(mock.journal.entries())


@pytest.mark.parametrize(
    ("corrupt", "sequence_id", "loss", "message"),
    [
        (True, None, "importance_sampling", "are not the sampled tokens"),
        (False, "never-sampled", "stable_reinforce", "names no sample recorded"),
    ],
)
def test_spans_that_contradict_the_record_fail_as_user_errors(
    corrupt: bool, sequence_id: str | None, loss: str, message: str, sdk_mock: Callable[..., MockTinker]
) -> None:
    sdk_mock()
    training = tinker.ServiceClient().create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=4).result()
    with pytest.raises(tinker.RequestFailedError, match=message) as info:
        training.forward_backward(_rl_data(training, corrupt=corrupt, sequence_id=sequence_id), loss).result()
    assert info.value.category == "user"
    # Other losses do not need the record: an unknown sequence id is accepted there.
    ok = _rl_data(training, sequence_id="never-sampled")
    assert training.forward_backward(ok, "importance_sampling").result().metrics


def test_a_body_that_breaks_the_tiling_is_a_journalled_violation_and_a_user_error(
    sdk_mock: Callable[..., MockTinker],
) -> None:
    mock = sdk_mock()
    training = tinker.ServiceClient().create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=4).result()
    datum = pb.Datum(model_input=[pb.Chunk(encoded_text=pb.EncodedTextChunk(tokens=bytes(12)))])
    datum.loss_fn_inputs["target_tokens"].CopyFrom(pb.Tensor(dense=bytes(24), dtype=pb.DTYPE_INT64, shape=[3]))
    datum.loss_fn_inputs["weights"].CopyFrom(pb.Tensor(dense=bytes(12), dtype=pb.DTYPE_FLOAT32, shape=[3]))
    datum.model_input_spans.add().prompt_tokens.CopyFrom(pb.PromptProvenanceSpan(sequence_id="s", length=2))
    datum.loss_fn_input_spans.add().sampled_tokens.CopyFrom(pb.SampledProvenanceSpan(sequence_id="s", length=3))
    body = pb.ForwardBackwardRequest(model_id=training.model_id, seq_id=1, loss_fn="cross_entropy", data=[datum])
    with httpx.Client(base_url=f"{mock.base_url}/api/v1", headers={"X-API-Key": mock.api_key}, timeout=40) as http:
        protobuf = {"content-type": "application/x-protobuf"}
        accepted = http.post("/forward_backward", content=body.SerializeToString(), headers=protobuf)
        assert accepted.status_code == 200
        answer = {"type": "try_again"}
        while answer.get("type") == "try_again":
            answer = http.post("/retrieve_future", json={"request_id": accepted.json()["request_id"]}).json()
    assert answer["category"] == "user" and "cover 2 positions but the input tokens have 3" in str(answer)
    (entry,) = mock.journal.entries(endpoint="forward_backward")
    assert any("must tile it" in v for v in entry.request_violations)
