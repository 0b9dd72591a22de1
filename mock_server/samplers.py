"""Samplers and sampling (protocol reference §7.2, §9; semantics §4).

A sampler (``{session}:sample:{n}``) holds an immutable snapshot of weights: the base model, a
checkpoint, or the weights of a training run at the moment of an ephemeral save. Kind
``inflight`` samplers instead read the run's current weights at each sample. One sample request
draws ``num_samples`` independent completions; prompt logprobs (first entry NaN) are computed from
the same model, so ``compute_logprobs`` agrees with the training side's per-token logprobs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from contracts._sampling import SampleRequest, SamplingParams
from mock_server.calls import Call
from mock_server.codec import SampledRow, model_input_tokens, sample_result_bodies
from mock_server.errors import ApiError
from mock_server.futures import FutureResult
from mock_server.ids import sampler_id_for
from mock_server.model import BaseWeights, LoraConfig, LoraModel, SamplingSettings, UserInputError, sample
from mock_server.state import SamplerRecord, SessionRecord
from mock_server.tokenizer import EOS_TOKEN_ID, VOCAB_SIZE, decode
from mock_server.work import Compute

__all__ = ["base_sampling_model", "register_sampler", "sample_compute", "sampling_settings"]

UNSUPPORTED_EXTRAS = ("topk_prompt_logprobs", "topk_sample_logprobs", "prompt_alt_tokens_k")


def base_sampling_model(base_model: str) -> LoraModel:
    """The base model alone: a rank-1 adapter whose B factors are zero adds nothing."""
    config = LoraConfig(rank=1, seed=0, train_mlp=True, train_attn=False, train_unembed=False)
    return LoraModel.create(BaseWeights.for_model(base_model, VOCAB_SIZE), config, np.random.default_rng(0))


def register_sampler(
    call: Call,
    session: SessionRecord,
    seq_id: int,
    *,
    base_model: str,
    model_path: str | None,
    model: LoraModel,
    live_run_id: str | None = None,
) -> SamplerRecord:
    sampler_id = sampler_id_for(session.session_id, seq_id)
    state = call.server.state
    if sampler_id in state.samplers:
        raise ApiError.bad_request(
            "sampling-session-seq-id-reused",
            f"sampling_session_seq_id {seq_id} was already used in session {session.session_id!r}",
        )
    record = SamplerRecord(
        sampler_id=sampler_id,
        owner=call.owner,
        session_id=session.session_id,
        base_model=base_model,
        model_path=model_path,
        model=model,
        created_at=call.server.clock.now(),
        live_run_id=live_run_id,
    )
    state.samplers[sampler_id] = record
    session.sampler_ids.append(sampler_id)
    return record


def _stop_rules(stop: str | Sequence[str] | Sequence[int] | None) -> tuple[frozenset[int], tuple[str, ...], bool]:
    """(stop token ids, stop strings, whether EOS stops); ``None`` = EOS only, ``[]`` = never stop."""
    if stop is None:
        return frozenset(), (), True
    if isinstance(stop, str):
        return frozenset(), (stop,), True
    items = list(stop)
    if all(isinstance(s, str) for s in items):
        return frozenset(), tuple(str(s) for s in items), bool(items)
    return frozenset(int(s) for s in items if isinstance(s, int)), (), True


def sampling_settings(params: SamplingParams, default_max_tokens: int) -> SamplingSettings:
    stop_ids, stop_strings, eos_stops = _stop_rules(params.stop)
    return SamplingSettings(
        max_tokens=params.max_tokens if params.max_tokens is not None else default_max_tokens,
        temperature=params.temperature,
        top_k=params.top_k,
        top_p=params.top_p,
        seed=params.seed,
        stop_token_ids=stop_ids,
        stop_strings=stop_strings,
        eos_stops=eos_stops,
    )


def sample_compute(call: Call, model: LoraModel, request: SampleRequest, max_context: int, seed: int) -> Compute:
    """The work of one ``asample``: completions, optional prompt logprobs, both result encodings."""
    settings = sampling_settings(request.sampling_params, call.server.config.default_max_tokens)

    def compute() -> FutureResult:
        for field in UNSUPPORTED_EXTRAS:
            if getattr(request, field):
                raise UserInputError(field, "is not supported by this mock yet")
        if request.target_prompt_logprobs is not None:
            raise UserInputError("target_prompt_logprobs", "is not supported by this mock yet")
        prompt = model_input_tokens(request.prompt, "prompt")
        if len(prompt) == 0:
            raise UserInputError("prompt", "must contain at least one token")
        if len(prompt) + settings.max_tokens > max_context:
            raise UserInputError(
                "sampling_params.max_tokens",
                f"prompt ({len(prompt)}) + max_tokens ({settings.max_tokens}) exceeds the "
                f"model's context length {max_context}",
            )
        rows = sample(
            model,
            prompt,
            settings,
            request.num_samples,
            eos_token_id=EOS_TOKEN_ID,
            rng_factory=lambda i: np.random.default_rng([seed, i]),
            decode=decode,
        )
        prompt_logprobs = None
        if request.prompt_logprobs:
            prompt_logprobs = model.prompt_logprobs(prompt)
            if request.prompt_logprobs_last_n is not None:
                prompt_logprobs[: max(len(prompt) - request.prompt_logprobs_last_n, 0)] = np.nan
        elif request.prompt_logprobs_last_n is not None:
            raise UserInputError("prompt_logprobs_last_n", "requires prompt_logprobs=true")
        json_body, proto_body = sample_result_bodies(
            [SampledRow(r.tokens, r.logprobs, r.stop_reason) for r in rows], prompt_logprobs
        )
        return FutureResult(json_body, proto_body)

    return compute
