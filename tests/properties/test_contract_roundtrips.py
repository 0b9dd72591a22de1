"""Round-trip properties of the contracts (§7): JSON models, protobuf tensors, chunks and results.

* every pydantic model of :mod:`contracts` survives validate → dump → validate unchanged, on field
  values hypothesis draws from the field types and their constraints (``annotated_types`` metadata);
* protobuf encode → decode is the identity for dense and CSR tensors, text chunks, sample responses
  and forward/backward outputs, whichever side (server or reference client) encodes;
* the JSON-era and protobuf-era encodings of one forward/backward output and of one sample response
  carry the same numbers.
"""

from __future__ import annotations

import math
from datetime import UTC
from functools import partial
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import numpy as np
import pytest
from fuzzing import budget
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pydantic import AwareDatetime, BaseModel, ValidationError

from tinker_harness import contracts
from tinker_harness.contracts import EncodedTextChunk
from tinker_harness.contracts import tensor_codec as tc
from tinker_harness.contracts._base import WireModel
from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.proto_json import proto_to_json
from tinker_harness.mock_server.chunks import proto_input_tokens
from tinker_harness.mock_server.codec import fwdbwd_result_bodies
from tinker_harness.mock_server.sample_codec import PromptOutputs, SampledRow, sample_result_bodies
from tinker_harness.reference_client._codec import _chunk_to_proto, decode_forward_backward, decode_sample

PLAN = budget(examples=15)
SETTINGS = settings(
    max_examples=PLAN.examples,
    deadline=None,
    derandomize=PLAN.seed is None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
MODELS = sorted(
    (m for m in vars(contracts).values() if isinstance(m, type) and issubclass(m, BaseModel)), key=lambda m: m.__name__
)
FLOAT32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _validated(model: type[BaseModel], fields: dict[str, Any]) -> BaseModel | None:
    try:
        return model.model_validate(fields)
    except ValidationError:
        return None


def _resolve(annotation: Any) -> st.SearchStrategy[Any]:
    """``st.from_type``, but nested models are built field by field and ``Any`` draws JSON values."""
    if annotation is Any:
        return JSON_VALUES
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        built = _field_values(annotation).map(partial(_validated, annotation))
        return built.filter(lambda value: value is not None)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _resolve(args[0])
    if origin in (Union, UnionType):
        return st.one_of([_resolve(a) for a in args])
    if origin is dict:
        return st.dictionaries(_resolve(args[0]), _resolve(args[1]), max_size=3)
    if origin is list:
        return st.lists(_resolve(args[0]), max_size=3)
    return st.from_type(annotation)


def _field_values(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for ``model``: required fields always, optional ones sometimes."""

    def field(info: Any) -> st.SearchStrategy[Any]:
        if info.annotation is AwareDatetime:
            return st.datetimes(timezones=st.just(UTC))
        annotation = info.annotation
        if info.metadata:  # constraints apply to the value, not to an Optional's None
            members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
            present = [m for m in members if m is not type(None)]
            constrained: Any = Annotated[(Union[tuple(present)], *info.metadata)]  # noqa: UP007
            annotation = constrained | None if len(present) < len(members) else constrained
        return st.deferred(lambda: _resolve(annotation))

    required = {name: field(info) for name, info in model.model_fields.items() if info.is_required()}
    optional = {name: field(info) for name, info in model.model_fields.items() if not info.is_required()}
    return st.fixed_dictionaries(required, optional=optional)


def _wire(value: BaseModel) -> Any:
    """The dict the SDK would send or read: ``to_wire`` for wire models (§1), a JSON dump otherwise."""
    return value.to_wire() if isinstance(value, WireModel) else value.model_dump(mode="json", by_alias=True)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_survives_dump_and_validate(model: type[BaseModel]) -> None:
    @SETTINGS
    @given(_field_values(model))
    def roundtrip(fields: dict[str, Any]) -> None:
        try:
            first = model.model_validate(fields)
        except ValidationError:
            reject()  # a constraint the field types do not state (a cross-field validator)
        dumped = _wire(first)
        again = model.model_validate(dumped)
        assert again == first, f"{model.__name__}: {fields!r} -> {dumped!r}"
        assert _wire(again) == dumped

    roundtrip()


def test_the_model_list_covers_the_catalogue() -> None:
    from tinker_harness.contracts.catalogue import CATALOGUE

    used = {m for e in CATALOGUE for m in (e.request, e.response, e.future_result) if m is not None}
    assert used <= set(MODELS), sorted(m.__name__ for m in used - set(MODELS))


def _reparse(message: Any) -> Any:
    again = type(message)()
    again.ParseFromString(message.SerializeToString())
    return again


shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5)
dense_arrays = st.one_of(
    hnp.arrays(np.int64, shapes, elements=st.integers(-(2**62), 2**62)),
    hnp.arrays(np.float32, shapes, elements=FLOAT32),
)


@SETTINGS
@given(dense_arrays)
def test_dense_tensors_survive_protobuf_and_json(array: np.ndarray[Any, Any]) -> None:
    decoded = tc.tensor_to_array(_reparse(tc.array_to_tensor(array)), "tensor")
    assert decoded.shape == array.shape and np.array_equal(decoded, array)
    as_json = tc.array_to_json_tensor(array)
    from_json = tc.json_tensor_to_array(as_json["data"], as_json["dtype"], as_json["shape"], None, None, "json")
    assert np.array_equal(from_json, array)


@SETTINGS
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6), elements=FLOAT32))
def test_sparse_csr_tensors_decode_to_the_dense_array(dense: np.ndarray[Any, Any]) -> None:
    rows, cols = np.nonzero(dense)
    crow = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=dense.shape[0]))]).astype("<i8")
    csr = pb.SparseCsr(
        values=dense[rows, cols].astype("<f4").tobytes(),
        crow_indices=crow.tobytes(),
        col_indices=cols.astype("<i8").tobytes(),
    )
    tensor = pb.Tensor(sparse_csr=csr, dtype=pb.DTYPE_FLOAT32, shape=list(dense.shape))
    assert np.array_equal(tc.tensor_to_array(_reparse(tensor), "csr"), dense)
    values = dense[rows, cols].tolist()
    from_json = tc.json_tensor_to_array(values, "float32", list(dense.shape), crow.tolist(), cols.tolist(), "json")
    assert np.array_equal(from_json, dense)


@SETTINGS
@given(st.lists(st.lists(st.integers(0, 2**31 - 1), max_size=20), min_size=1, max_size=4))
def test_text_chunks_reach_the_server_as_the_same_tokens(chunks: list[list[int]]) -> None:
    encoded = [_reparse(_chunk_to_proto(EncodedTextChunk(tokens=tokens))) for tokens in chunks]
    assert proto_input_tokens(encoded, "datum").tolist() == [t for tokens in chunks for t in tokens]


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == b or (math.isnan(a) and math.isnan(b))


rows = st.lists(st.integers(0, 511), min_size=0, max_size=8).flatmap(
    lambda tokens: st.builds(
        SampledRow,
        tokens=st.just(tokens),
        logprobs=st.lists(FLOAT32, min_size=len(tokens), max_size=len(tokens)),
        stop_reason=st.sampled_from(["length", "stop"]),
    )
)
prompt_logprobs = st.none() | hnp.arrays(
    np.float64, st.integers(1, 8), elements=st.floats(-50, 0, width=32) | st.just(math.nan)
)


@SETTINGS
@given(st.lists(rows, min_size=1, max_size=3), prompt_logprobs, st.integers(0, 100))
def test_sample_responses_agree_in_both_encodings(
    sampled: list[SampledRow], prompt: np.ndarray[Any, Any] | None, cache_hits: int
) -> None:
    json_body, proto_body = sample_result_bodies(
        sampled, PromptOutputs(prompt_logprobs=prompt, cache_hit_tokens=cache_hits)
    )
    ids = [f"seq-{i}" for i in range(len(sampled))]
    decoded = decode_sample(proto_body, ids)
    assert (
        [s.tokens for s in decoded.sequences]
        == [r.tokens for r in sampled]
        == [s["tokens"] for s in json_body["sequences"]]
    )
    for got, row, wire in zip(decoded.sequences, sampled, json_body["sequences"], strict=True):
        assert got.stop_reason == row.stop_reason == wire["stop_reason"]
        assert (got.logprobs or []) == [float(np.float32(v)) for v in row.logprobs]
        pairs = zip(got.logprobs or [], wire["logprobs"], strict=True)
        assert all(_same(float(np.float32(a)), float(np.float32(b))) for a, b in pairs)
    assert decoded.prompt_cache_hit_tokens == cache_hits == json_body["prompt_cache_hit_tokens"]
    view = proto_to_json(_reparse(pb.SampleResponse.FromString(proto_body)))
    assert [s["tokens"] for s in view["sequences"]] == [r.tokens for r in sampled]
    if prompt is None:
        assert decoded.prompt_logprobs is None and "prompt_logprobs" not in json_body
    else:
        assert len(decoded.prompt_logprobs or []) == len(json_body["prompt_logprobs"]) == len(prompt)
        pairs = zip(decoded.prompt_logprobs or [], json_body["prompt_logprobs"], strict=True)
        assert all(_same(a, None if b is None else float(np.float32(b))) for a, b in pairs)


field_arrays = st.integers(0, 6).flatmap(
    lambda n: st.fixed_dictionaries(
        {
            "logprobs": hnp.arrays(np.float32, n, elements=FLOAT32),
            "elementwise_loss": hnp.arrays(np.float32, n, elements=FLOAT32),
        }
    )
)


@SETTINGS
@given(
    st.lists(field_arrays, max_size=4),
    st.dictionaries(st.sampled_from(["loss:sum", "clip_fraction:mean", "tokens:sum"]), FLOAT32),
)
def test_forward_backward_outputs_agree_in_both_encodings(
    outputs: list[dict[str, np.ndarray[Any, Any]]], metrics: dict[str, float]
) -> None:
    json_body, proto_body = fwdbwd_result_bodies(outputs, metrics)
    decoded = decode_forward_backward(proto_body)
    assert decoded.metrics == pytest.approx(metrics) and json_body["metrics"] == metrics
    assert len(decoded.loss_fn_outputs) == len(json_body["loss_fn_outputs"]) == len(outputs)
    for got, wire, sent in zip(decoded.loss_fn_outputs, json_body["loss_fn_outputs"], outputs, strict=True):
        for name, array in sent.items():
            assert np.array_equal(got[name], array)
            assert np.array_equal(np.asarray(wire[name]["data"], dtype=np.float32), array)
            assert wire[name]["shape"] == list(array.shape)
    view = proto_to_json(pb.ForwardBackwardOutput.FromString(proto_body))
    for viewed, sent in zip(view["loss_fn_outputs"], outputs, strict=True):
        assert {k: np.asarray(v["data"], dtype=np.float32).tolist() for k, v in viewed.items()} == {
            k: v.tolist() for k, v in sent.items()
        }
