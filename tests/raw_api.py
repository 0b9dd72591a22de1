"""Direct HTTP calls to the mock for server-level tests (no SDK in between)."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np

from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.tensor_codec import array_to_tensor, int32_bytes

BASE_MODEL = "Qwen/Qwen3-8B"


class RawApi:
    def __init__(self, base_url: str, api_key: str = "tml-raw-api") -> None:
        self.http = httpx.Client(base_url=base_url, headers={"X-API-Key": api_key}, timeout=60)

    def close(self) -> None:
        self.http.close()

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(f"/api/v1/{path}", json=body, **kwargs)

    def ok(self, path: str, body: Any = None) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def session(self) -> str:
        return str(self.ok("create_session", {"tags": [], "user_metadata": {}, "sdk_version": "raw"})["session_id"])

    def model(self, session_id: str, seq: int = 0, rank: int = 4) -> str:
        future = self.ok(
            "create_model",
            {
                "session_id": session_id,
                "model_seq_id": seq,
                "base_model": BASE_MODEL,
                "lora_config": {"rank": rank, "seed": 1},
            },
        )
        return str(self.result(future["request_id"])["model_id"])

    def result(self, request_id: str, **extra: Any) -> dict[str, Any]:
        """Poll until the future settles (long-polls answer try_again only after the deadline)."""
        while True:
            answer = self.ok("retrieve_future", {"request_id": request_id, **extra})
            if answer.get("type") != "try_again":
                return answer

    def optim(self, model_id: str, seq_id: int, lr: float = 0.01) -> str:
        body = {"model_id": model_id, "seq_id": seq_id, "adam_params": {"learning_rate": lr}}
        return str(self.ok("optim_step", body)["request_id"])

    def forward_backward(self, model_id: str, seq_id: int, tokens: list[int], *, forward_only: bool = False) -> str:
        datum = pb.Datum(model_input=[pb.Chunk(encoded_text=pb.EncodedTextChunk(tokens=int32_bytes(tokens[:-1])))])
        datum.loss_fn_inputs["target_tokens"].CopyFrom(array_to_tensor(np.asarray(tokens[1:], dtype=np.int64)))
        datum.loss_fn_inputs["weights"].CopyFrom(array_to_tensor(np.ones(len(tokens) - 1, dtype=np.float32)))
        request = pb.ForwardBackwardRequest(
            model_id=model_id, seq_id=seq_id, loss_fn="cross_entropy", forward_only=forward_only, data=[datum]
        )
        response = self.http.post(
            "/api/v1/forward_backward",
            content=request.SerializeToString(),
            headers={"content-type": "application/x-protobuf"},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["request_id"])
