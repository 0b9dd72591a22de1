"""Prompt-prefix reuse of one sampler, for ``SampleResponse.prompt_cache_hit_tokens`` (semantics §4).

The SDK documents the count as "prompt tokens billed as prefix-cache hits", counted on the prompt
itself (not multiplied by ``num_samples``), and says ``prompt_logprobs_last_n`` lets the server
serve the prefix before the scored suffix from its cache. This mock models a KV prefix cache:

    hit = min(longest common prefix with an earlier prompt of this sampler, first position that
              must be computed)

where the first position that must be computed is ``L − 1`` for plain generation (the last prompt
token is always recomputed to get the first sampled token's distribution), ``L − 1 − n`` when the
last ``n`` prompt logprobs are scored, ``r`` for ``target_prompt_logprobs`` whose first named row
is ``r``, and 0 for full prompt logprobs, prompt top-k or ``prompt_alt_tokens_k`` (they need every
position). Prompts are remembered after each request (at most ``capacity``, least recent evicted).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

__all__ = ["PrefixCache"]


class PrefixCache:
    """Remembered prompts (token tuples) of one sampler; thread-safe."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._prompts: OrderedDict[tuple[int, ...], None] = OrderedDict()
        self._lock = threading.Lock()

    def longest_prefix(self, prompt: Sequence[int]) -> int:
        """Length of the longest common prefix of ``prompt`` with any remembered prompt."""
        query = np.asarray(prompt, dtype=np.int64)
        best = 0
        with self._lock:
            cached = list(self._prompts)
        for other in cached:
            n = min(len(other), len(query))
            if n <= best:
                continue
            differ = np.flatnonzero(np.asarray(other[:n], dtype=np.int64) != query[:n])
            best = max(best, int(differ[0]) if differ.size else n)
        return best

    def hit_then_remember(self, prompt: Sequence[int], first_computed: int) -> int:
        """The cache-hit count for this request (see the module docstring); then remember ``prompt``."""
        hit = min(self.longest_prefix(prompt), max(first_computed, 0))
        key = tuple(int(t) for t in prompt)
        with self._lock:
            self._prompts[key] = None
            self._prompts.move_to_end(key)
            while len(self._prompts) > self._capacity:
                self._prompts.popitem(last=False)
        return hit
