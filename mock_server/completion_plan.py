"""A completion plan: a seeded test double that lets sampled completions sometimes earn a reward.

The mock's tiny model writes noise, so an RL loop over a task with a checkable answer (gsm8k's
``\\boxed{…}``) sees a constant reward, zero advantages and no training step. A plan lists scripted
completions keyed by a piece of prompt text. When a prompt's decoding (with the model's own
tokenizer) contains an entry's ``prompt_contains`` (several: the one ending latest, so a few-shot
example earlier in the prompt does not answer the real question), every sample of that request starts with the
entry's completion (plus the request's first stop: its first stop string or token, the model's EOS
when ``stop`` is None) with chance

    q = sigmoid(logit(probability) + (log p_θ(c | prompt) − log p_base(c | prompt)) / len(c)),

drawn from the sample's own seeded generator (``sampling_params.seed``, else the server's seed).
``p_θ`` is the sampler's weights and ``p_base`` the untrained base model, so ``q`` starts at
``probability`` and rises as training makes the completion likelier (per token, on average): policy-gradient steps on
rewarded samples raise the mean reward, as with a real model. The returned tokens and logprobs are
the model's own (teacher-forced), so importance ratios at training time are 1 as for any sample.
This is a test double, not a language model: it exists so RL recipes take real optimizer steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tinker_harness.contracts.request_json import JsonTooDeepError, load_json
from tinker_harness.contracts.usage_errors import read_user_text, validation_line
from tinker_harness.mock_server.model import LoraModel, ScriptedCompletion, continuation_logprob
from tinker_harness.mock_server.standin_tokenizer import ModelVocabulary

__all__ = ["CompletionPlan", "PlannedCompletion", "load_completion_plan", "scripted_completion"]


class PlannedCompletion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt_contains: str = Field(min_length=1)
    completion: str = Field(min_length=1)


class CompletionPlan(BaseModel):
    """Scripted completions mixed into sampling (see the module docstring); ``ServerConfig.completion_plan``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    probability: float = Field(gt=0.0, lt=1.0)
    completions: tuple[PlannedCompletion, ...] = Field(min_length=1)

    def entry_for(self, prompt_text: str) -> PlannedCompletion | None:
        """The entry whose text ends latest in the prompt: the question being asked, not a few-shot example
        before it (ties: the longer text, then the earlier entry)."""
        best: tuple[int, int] | None = None
        chosen = None
        for entry in self.completions:
            start = prompt_text.rfind(entry.prompt_contains)
            if start < 0:
                continue
            rank = (start + len(entry.prompt_contains), len(entry.prompt_contains))
            if best is None or rank > best:
                best, chosen = rank, entry
        return chosen


def load_completion_plan(path: Path) -> CompletionPlan:
    """Read a plan from a YAML or JSON file; ``ValueError`` names the file and the problem in one line."""
    text = read_user_text(path, ValueError)
    try:
        raw = load_json(text)  # JSON is YAML too, but a plan of thousands of entries parses far faster as JSON
    except JsonTooDeepError as exc:
        raise ValueError(f"{path}: {exc}") from None
    except ValueError:
        raw = _load_yaml(path, text)
    try:
        return CompletionPlan.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(validation_line(exc, f"{path}: invalid completion plan")) from None


def _load_yaml(path: Path, text: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML/JSON: {' '.join(str(exc).split())}") from None


def _stop_suffix(stop: str | Sequence[str] | Sequence[int] | None, vocabulary: ModelVocabulary) -> list[int]:
    if stop is None:
        return [vocabulary.eos_token_id]
    if isinstance(stop, str):
        return vocabulary.encode(stop)
    items: list[str | int] = list(stop)
    if not items:
        return []
    first = items[0]
    return vocabulary.encode(first) if isinstance(first, str) else [first]


def scripted_completion(
    plan: CompletionPlan,
    prompt: npt.NDArray[np.int64],
    model: LoraModel,
    reference: LoraModel,
    vocabulary: ModelVocabulary,
    stop: str | Sequence[str] | Sequence[int] | None,
) -> ScriptedCompletion | None:
    """The scripted completion of this prompt and its current chance, or None when no entry matches."""
    entry = plan.entry_for(vocabulary.decode([int(t) % vocabulary.vocab_size for t in prompt]))
    if entry is None:
        return None
    tokens = vocabulary.encode(entry.completion) + _stop_suffix(stop, vocabulary)
    gain = continuation_logprob(model, prompt, tokens) - continuation_logprob(reference, prompt, tokens)
    shift = gain / len(tokens)
    logit = math.log(plan.probability / (1.0 - plan.probability)) + shift
    chance = 1.0 / (1.0 + math.exp(-logit)) if logit > -700 else 0.0
    return ScriptedCompletion(tuple(tokens), chance)
