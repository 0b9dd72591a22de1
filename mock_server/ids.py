"""Identifier conventions (protocol reference §16 items 7-8, §10 "tinker:// parsing").

Server-issued ids are UUID-shaped strings drawn from a seeded generator, so the same seed and the
same request order give the same ids. Model and sampler ids follow the SDK's conventions exactly:
``{session_id}:train:{model_seq_id}`` (the SDK computes it client-side for create-via-load, §0 item
10) and ``{session_id}:sample:{n}``. Checkpoint paths are ``tinker://<run>/<kind>/<name>``.
"""

from __future__ import annotations

import hashlib
import random
import threading
import uuid

__all__ = [
    "CHECKPOINT_KINDS",
    "IdFactory",
    "checkpoint_path",
    "key_fingerprint",
    "model_id_for",
    "sampler_id_for",
]

# URL kind segment -> Checkpoint.checkpoint_type
CHECKPOINT_KINDS = {"weights": "training", "sampler_weights": "sampler", "external_weights": "external"}


class IdFactory:
    """Seeded, thread-safe generator of UUID-shaped ids and counters."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._http_counter = 0

    def uuid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def http_request_id(self) -> str:
        """Id of one HTTP exchange (``x-request-id``), distinct from future request ids."""
        with self._lock:
            self._http_counter += 1
            return f"http-{self._http_counter:08d}"


def model_id_for(session_id: str, model_seq_id: int) -> str:
    return f"{session_id}:train:{model_seq_id}"


def sampler_id_for(session_id: str, sampling_session_seq_id: int) -> str:
    return f"{session_id}:sample:{sampling_session_seq_id}"


def checkpoint_path(run_id: str, kind: str, name: str) -> str:
    return f"tinker://{run_id}/{kind}/{name}"


def key_fingerprint(api_key: str) -> str:
    """A stable, non-reversible owner id for an API key; the key itself is never stored."""
    return "key-" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
