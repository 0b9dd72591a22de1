"""Helpers for the reference-client tests: datums, journal checks, ports."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence

from contracts import Datum, EncodedTextChunk, ModelInput, TensorData
from mock_server.journal import JournalEntry
from mock_server.tokenizer import encode

BASE_MODEL = "Qwen/Qwen3-8B"
SENTENCES = (
    "The model saved a checkpoint after every step.",
    "Training loss goes down when the learning rate is right.",
    "A session sends a heartbeat every ten seconds.",
)


def datum(text: str, *, weights: bool = True) -> Datum:
    """Next-token prediction: inputs are the tokens but the last, targets the tokens but the first."""
    ids = encode(text)
    inputs = {"target_tokens": TensorData(data=ids[1:], dtype="int64")}
    if weights:
        inputs["weights"] = TensorData(data=[1.0] * (len(ids) - 1), dtype="float32")
    return Datum(model_input=ModelInput(chunks=[EncodedTextChunk(tokens=ids[:-1])]), loss_fn_inputs=inputs)


def dataset(texts: Sequence[str] = SENTENCES) -> list[Datum]:
    return [datum(t) for t in texts]


def violations(entries: Sequence[JournalEntry]) -> list[str]:
    """Every contract violation in ``entries``, each prefixed with the exchange it came from."""
    return [f"{e.describe()}: {v}" for e in entries for v in e.violations]


def endpoint_sequence(entries: Sequence[JournalEntry]) -> list[str]:
    return [e.endpoint or e.path for e in entries]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Real-time wait for something a background thread does (the server, the client's loop)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
