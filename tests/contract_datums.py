"""Training data as :mod:`contracts` models, for tests that drive the reference client."""

from __future__ import annotations

from tinker_harness.contracts import Datum, EncodedTextChunk, ModelInput, TensorData
from tinker_harness.mock_server.tokenizer import encode


def datum(text: str, *, weights: bool = True) -> Datum:
    """Next-token prediction: inputs are the tokens but the last, targets the tokens but the first."""
    ids = encode(text)
    inputs = {"target_tokens": TensorData(data=ids[1:], dtype="int64")}
    if weights:
        inputs["weights"] = TensorData(data=[1.0] * (len(ids) - 1), dtype="float32")
    return Datum(model_input=ModelInput(chunks=[EncodedTextChunk(tokens=ids[:-1])]), loss_fn_inputs=inputs)
