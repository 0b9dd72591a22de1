"""Samplers and sampling (protocol reference §5.1, §7.2, §9; semantics §4).

A sampler (``{session}:sample:{n}``) holds an immutable snapshot of weights: the base model, a
checkpoint, or the weights of a training run at the moment of an ephemeral save. Kind
``inflight`` samplers instead read the run's current weights at each sample. One sample request
draws ``num_samples`` independent completions (sample ``i`` uses the generator
``default_rng([seed, i])``, ``seed`` = ``sampling_params.seed`` or a per-request random one);
prompt-side extras (prompt logprobs, top-k, target logprobs, alternative tokens; ``sample_extras``)
come from one prefill of the same model, so ``compute_logprobs`` agrees with the training side's
per-token logprobs. EOS and stop strings are the model's own tokenizer's (``sampling_vocabulary``):
stop strings are matched on its decoding of the generated tokens. ``prompt_cache_hit_tokens`` comes
from a prefix cache per sampler model (``model.prefix_cache``): inflight samplers see fresh weights
each request and so never hit.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Sequence

import numpy as np

from tinker_harness.contracts._sampling import SampleRequest, SamplingParams
from tinker_harness.mock_server.calls import Call
from tinker_harness.mock_server.chunks import json_input_tokens
from tinker_harness.mock_server.completion_plan import scripted_completion
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.futures import FutureResult
from tinker_harness.mock_server.ids import sampler_id_for
from tinker_harness.mock_server.model import (
    BaseWeights,
    LoraConfig,
    LoraModel,
    SamplingSettings,
    UserInputError,
    sample,
)
from tinker_harness.mock_server.model.prefix_cache import PrefixCache
from tinker_harness.mock_server.model.validation import as_token_ids
from tinker_harness.mock_server.sample_codec import SampledRow, sample_result_bodies
from tinker_harness.mock_server.sample_extras import check_extras, decode_target_ids, first_computed, prompt_outputs
from tinker_harness.mock_server.standin_tokenizer import BUILTIN_VOCABULARY, ModelVocabulary
from tinker_harness.mock_server.state import SamplerRecord, SessionRecord
from tinker_harness.mock_server.work import Compute

__all__ = ["base_sampling_model", "register_sampler", "sample_compute", "sampling_settings", "sampling_vocabulary"]

_CACHES: weakref.WeakKeyDictionary[LoraModel, PrefixCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def base_sampling_model(base_model: str, vocab_size: int) -> LoraModel:
    """The base model alone: a rank-1 adapter whose B factors are zero adds nothing."""
    config = LoraConfig(rank=1, seed=0, train_mlp=True, train_attn=False, train_unembed=False)
    return LoraModel.create(BaseWeights.for_model(base_model, vocab_size), config, np.random.default_rng(0))


def sampling_vocabulary(call: Call, base_model: str, model: LoraModel) -> ModelVocabulary:
    """EOS and decoding for ``model``: its base model's, or the builtin tokenizer's for weights of that size
    (a checkpoint written while the server used the builtin tokenizers)."""
    vocabulary = call.server.vocabulary(base_model)
    if vocabulary.vocab_size != model.vocab_size and model.vocab_size == BUILTIN_VOCABULARY.vocab_size:
        return BUILTIN_VOCABULARY
    return vocabulary


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


def _prefix_cache(model: LoraModel) -> PrefixCache:
    with _CACHES_LOCK:
        cache = _CACHES.get(model)
        if cache is None:
            cache = _CACHES[model] = PrefixCache()
        return cache


def sample_compute(
    call: Call, base_model: str, model: LoraModel, request: SampleRequest, max_context: int, seed: int
) -> Compute:
    """The work of one ``asample``: completions, prompt-side extras, both result encodings."""
    settings = sampling_settings(request.sampling_params, call.server.config.default_max_tokens)
    vocabulary = sampling_vocabulary(call, base_model, model)
    plan = call.server.config.completion_plan

    def compute() -> FutureResult:
        prompt = json_input_tokens(request.prompt, "prompt", training=False)
        if len(prompt) == 0:
            raise UserInputError("prompt", "must contain at least one token")
        as_token_ids(prompt, model.vocab_size, "prompt")
        if len(prompt) + settings.max_tokens > max_context:
            raise UserInputError(
                "sampling_params.max_tokens",
                f"prompt ({len(prompt)}) + max_tokens ({settings.max_tokens}) exceeds the "
                f"model's context length {max_context}",
            )
        check_extras(request, len(prompt))
        target = None
        if request.target_prompt_logprobs is not None:
            target = decode_target_ids(request.target_prompt_logprobs, len(prompt))
        scripted = None
        if plan is not None:
            reference = base_sampling_model(base_model, model.vocab_size)
            stop = request.sampling_params.stop
            scripted = scripted_completion(plan, prompt, model, reference, vocabulary, stop)
        rows = sample(
            model,
            prompt,
            settings,
            request.num_samples,
            eos_token_id=vocabulary.eos_token_id,
            rng_factory=lambda i: np.random.default_rng([seed, i]),
            decode=vocabulary.decode,
            topk=request.topk_sample_logprobs,
            scripted=scripted,
        )
        extras_seed = settings.seed if settings.seed is not None else seed
        outputs = prompt_outputs(model, prompt, request, target, extras_seed, settings.temperature)
        hit = _prefix_cache(model).hit_then_remember(prompt.tolist(), first_computed(request, len(prompt), target))
        json_body, proto_body = sample_result_bodies(
            [SampledRow(r.tokens, r.logprobs, r.stop_reason, r.topk) for r in rows],
            dataclasses.replace(outputs, cache_hit_tokens=hit),
        )
        return FutureResult(json_body, proto_body)

    return compute
