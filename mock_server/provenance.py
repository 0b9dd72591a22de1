"""Recorded samples and the provenance spans that name them (SDK 0.38 ``record_stability_info``, §7.1).

A sample request with ``record_stability_info`` records, per returned ``sequence_id``, its prompt
and sampled tokens in the session (session-scoped, as the SDK documents; the oldest are dropped past
``MAX_RECORDED``). A forward/backward datum's spans are checked twice: against the contract
(:mod:`contracts.provenance`: pairs, non-negative runs that tile their fields) and against the
record: a span must stay inside its sequence's prompt or sampled tokens, and the tokens it covers in
the model input (and, for sampled runs, in ``target_tokens``) must be the recorded ones. A span
naming a sequence the session never recorded is an error for ``stable_reinforce``, which needs the
recorded information; other losses accept it. Every problem fails the op as a user error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from tinker_harness.contracts.provenance import DatumSpans, ProvenanceSpan, tiling_problems
from tinker_harness.mock_server.futures import FutureResult
from tinker_harness.mock_server.model import DatumArrays, UserInputError
from tinker_harness.mock_server.state import RecordedSequence, SessionRecord
from tinker_harness.mock_server.work import Compute

__all__ = ["MAX_RECORDED", "check_provenance", "recording"]

MAX_RECORDED = 200_000


def recording(compute: Compute, session: SessionRecord, sequence_ids: Sequence[str], prompt: np.ndarray) -> Compute:
    """``compute`` that also records its sampled sequences in ``session`` when the future completes."""
    prompt_tokens = tuple(int(t) for t in prompt)

    def wrapped() -> FutureResult:
        result = compute()
        sampled = [tuple(int(t) for t in s["tokens"]) for s in result.json_body.get("sequences", [])]
        inner = result.commit

        def commit() -> None:
            if inner is not None:
                inner()
            store = session.recorded_sequences
            for sequence_id, tokens in zip(sequence_ids, sampled, strict=False):
                store[sequence_id] = RecordedSequence(prompt_tokens, tokens)
            for stale in list(store)[: max(0, len(store) - MAX_RECORDED)]:
                del store[stale]

        return dataclasses.replace(result, commit=commit)

    return wrapped


def _covered(span: ProvenanceSpan, recorded: RecordedSequence) -> tuple[int, ...]:
    source = recorded.prompt if span.kind == "prompt" else recorded.sampled
    return source[span.offset : span.end]


def _check_runs(
    spans: Sequence[ProvenanceSpan],
    tokens: np.ndarray | None,
    session: SessionRecord,
    where: str,
    *,
    prompt_tokens_compared: bool,
    needs_record: bool,
) -> None:
    position = 0
    for i, span in enumerate(spans):
        recorded = session.recorded_sequences.get(span.sequence_id)
        here = f"{where}[{i}]"
        if recorded is None:
            if needs_record:
                raise UserInputError(
                    here,
                    f"sequence_id {span.sequence_id!r} names no sample recorded in this session "
                    "(sample with record_stability_info=True first)",
                )
        else:
            size = len(recorded.prompt if span.kind == "prompt" else recorded.sampled)
            if span.end > size:
                raise UserInputError(
                    here,
                    f"{span.kind} run [{span.offset}, {span.end}) is outside the sequence's {size} {span.kind} tokens",
                )
            compare = span.kind == "sampled" or prompt_tokens_compared
            got = tuple(int(t) for t in tokens[position : position + span.length]) if tokens is not None else None
            if compare and got is not None and got != _covered(span, recorded):
                raise UserInputError(
                    here, f"the tokens it covers are not the {span.kind} tokens of {span.sequence_id!r}"
                )
        position += span.length


def check_provenance(
    datums: Sequence[DatumArrays], spans: Sequence[DatumSpans | None], session: SessionRecord, loss_fn: str
) -> None:
    """Raise ``UserInputError`` for the first datum whose spans break the contract or the record."""
    for i, (datum, datum_spans) in enumerate(zip(datums, spans, strict=True)):
        if datum_spans is None:
            continue
        where = f"data[{i}]"
        target = datum.loss_fn_inputs.get("target_tokens")
        target_1d = np.asarray(target) if target is not None and np.ndim(target) == 1 else None
        problems = tiling_problems(
            datum_spans.model_input,
            datum_spans.loss_fn_inputs,
            len(datum.tokens),
            None if target_1d is None else len(target_1d),
            where,
        )
        if problems:
            raise UserInputError(where, "; ".join(problems))
        needs = loss_fn == "stable_reinforce"
        _check_runs(
            datum_spans.model_input,
            datum.tokens,
            session,
            f"{where}.model_input_spans",
            prompt_tokens_compared=True,
            needs_record=needs,
        )
        # Prompt rows of target_tokens are placeholders (the loss ignores them): only sampled runs must match.
        _check_runs(
            datum_spans.loss_fn_inputs,
            target_1d,
            session,
            f"{where}.loss_fn_input_spans",
            prompt_tokens_compared=False,
            needs_record=needs,
        )
