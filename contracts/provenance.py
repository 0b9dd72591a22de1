"""Provenance spans of a forward/backward datum (protocol reference §7.1; SDK 0.38 ``Datum.with_provenance``).

A datum may say where its tokens came from: ``model_input_spans`` tile its input tokens and
``loss_fn_input_spans`` tile ``loss_fn_inputs["target_tokens"]``, each a run of positions
``[offset, offset + length)`` of a sampled sequence's prompt (``prompt_tokens``) or sampled tokens
(``sampled_tokens``), named by ``SampledSequence.sequence_id``; stable_reinforce uses them to find
the recorded stability info. The contract (the SDK checks the same before sending): both lists or
neither; every span names a non-empty sequence id with ``offset >= 0`` and ``length >= 0``; the
lengths of each list sum to the length of the field it tiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.tensor_codec import WireFormatError

__all__ = [
    "DatumSpans",
    "ProvenanceSpan",
    "datum_provenance_problems",
    "span_problems",
    "spans_from_proto",
    "spans_view",
    "tiling_problems",
]


@dataclass(frozen=True)
class ProvenanceSpan:
    kind: Literal["prompt", "sampled"]
    sequence_id: str
    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


@dataclass(frozen=True)
class DatumSpans:
    """One datum's two span lists."""

    model_input: tuple[ProvenanceSpan, ...]
    loss_fn_inputs: tuple[ProvenanceSpan, ...]


def spans_from_proto(spans: Iterable[pb.ProvenanceSpan], where: str) -> list[ProvenanceSpan]:
    """Decoded spans; a span with neither arm set is malformed (``WireFormatError``)."""
    out = []
    for i, span in enumerate(spans):
        arm = span.WhichOneof("span")
        if arm is None:
            raise WireFormatError(f"{where}[{i}] sets neither prompt_tokens nor sampled_tokens")
        value = span.prompt_tokens if arm == "prompt_tokens" else span.sampled_tokens
        kind: Literal["prompt", "sampled"] = "prompt" if arm == "prompt_tokens" else "sampled"
        out.append(ProvenanceSpan(kind, value.sequence_id, value.offset, value.length))
    return out


def spans_view(spans: Sequence[ProvenanceSpan]) -> list[dict[str, Any]]:
    """The journal's JSON form of a span list."""
    return [{"type": s.kind, "sequence_id": s.sequence_id, "offset": s.offset, "length": s.length} for s in spans]


def span_problems(spans: Sequence[ProvenanceSpan], where: str) -> list[str]:
    problems = []
    for i, span in enumerate(spans):
        if not span.sequence_id:
            problems.append(f"{where}[{i}]: sequence_id must be non-empty")
        if span.offset < 0 or span.length < 0:
            problems.append(f"{where}[{i}]: offset and length must be >= 0, got {span.offset} and {span.length}")
    return problems


def tiling_problems(
    model_input_spans: Sequence[ProvenanceSpan],
    loss_fn_input_spans: Sequence[ProvenanceSpan],
    input_length: int | None,
    target_length: int | None,
    where: str,
) -> list[str]:
    """What breaks the contract in one datum's spans (``None`` lengths are not checked)."""
    if not model_input_spans and not loss_fn_input_spans:
        return []
    if not model_input_spans or not loss_fn_input_spans:
        return [f"{where}: provenance comes as a pair: model_input_spans and loss_fn_input_spans, or neither"]
    problems = span_problems(model_input_spans, f"{where}.model_input_spans")
    problems += span_problems(loss_fn_input_spans, f"{where}.loss_fn_input_spans")
    for name, spans, length in (
        ("model_input_spans", model_input_spans, input_length),
        ("loss_fn_input_spans", loss_fn_input_spans, target_length),
    ):
        total = sum(s.length for s in spans)
        if length is not None and total != length:
            field = "the input tokens" if name == "model_input_spans" else "target_tokens"
            problems.append(f"{where}.{name} cover {total} positions but {field} have {length}; they must tile it")
    return problems


def datum_provenance_problems(datum: pb.Datum, where: str) -> list[str]:
    """The contract problems of a protobuf datum's spans (lengths from its chunks and ``target_tokens``)."""
    try:
        inputs = spans_from_proto(datum.model_input_spans, f"{where}.model_input_spans")
        targets = spans_from_proto(datum.loss_fn_input_spans, f"{where}.loss_fn_input_spans")
    except WireFormatError as exc:
        return [str(exc)]
    kinds = {chunk.WhichOneof("chunk") for chunk in datum.model_input}
    input_length = (
        sum(len(c.encoded_text.tokens) // 4 for c in datum.model_input) if kinds <= {"encoded_text"} else None
    )
    target = datum.loss_fn_inputs.get("target_tokens")
    target_length = int(target.shape[0]) if target is not None and len(target.shape) == 1 else None
    return tiling_problems(inputs, targets, input_length, target_length, where)
