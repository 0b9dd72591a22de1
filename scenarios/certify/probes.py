"""Raw HTTP probes of a Tinker server, for the server-side checks of ``tinker-harness certify``.

Each probe makes real requests with the configured API key and extra headers and keeps what it
sent and what came back as an :class:`Exchange` line for the report. Bodies are built from the
contracts (``contracts/``), in the newest generation's wire form (protocol §5.1, §7.1), with token
ids every tokenizer has. Nothing here raises for what the server answers; transport failures are
answers too (status 0 with the error).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import zstandard

from tinker_harness.contracts import (
    AdamParams,
    CreateModelRequest,
    CreateSessionRequest,
    Datum,
    EncodedTextChunk,
    LoraConfig,
    ModelInput,
    OptimStepRequest,
    TensorData,
)
from tinker_harness.reference_client._codec import encode_forward_backward

__all__ = ["Answer", "Prober", "SEQUENCE"]

SEQUENCE = [300, 362, 262, 67, 88, 288, 261, 473, 489, 16]
PROBE_SDK_VERSION = "0.38.0"  # the generation whose wire form the probes speak (create_session.sdk_version)


@dataclass(frozen=True)
class Answer:
    """One request a probe made and what came back (``status`` 0: no HTTP answer, ``error`` says why)."""

    method: str
    path: str
    sent: str  # a short description of the body
    status: int = 0
    content_type: str = ""
    content_length: str | None = None
    body: bytes = b""
    seconds: float = 0.0
    error: str | None = None

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def is_json(self) -> bool:
        return "json" in self.content_type.lower() and self.json() is not None

    def describe(self) -> str:
        request = f"{self.method} {self.path} ({self.sent})"
        if self.status == 0:
            return f"{request} -> no answer: {self.error}"
        text = self.body[:300].decode("utf-8", errors="replace").replace("\n", " ")
        if "protobuf" in self.content_type.lower():
            text = f"<{len(self.body)} bytes of protobuf>"
        length = "" if self.content_length is None else f", Content-Length {self.content_length}"
        return f"{request} -> {self.status} [{self.content_type or 'no content-type'}{length}] {text}"


def datum() -> Datum:
    tokens = SEQUENCE
    return Datum(
        model_input=ModelInput(chunks=[EncodedTextChunk(tokens=tokens[:-1])]),
        loss_fn_inputs={
            "target_tokens": TensorData(data=tokens[1:], dtype="int64"),
            "weights": TensorData(data=[1.0] * (len(tokens) - 1), dtype="float32"),
        },
    )


class Prober:
    """Requests against ``base_url`` with the user's credentials; a context manager."""

    def __init__(self, base_url: str, api_key: str, extra_headers: Mapping[str, str], timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"X-API-Key": api_key, **extra_headers}
        self.client = httpx.Client(base_url=self.base_url, headers=self.headers, timeout=timeout, trust_env=False)

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def call(
        self,
        method: str,
        path: str,
        sent: str,
        *,
        content: bytes | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Answer:
        started = time.perf_counter()
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        try:
            if json_body is not None:
                content = json.dumps(json_body).encode()
                headers = {"Content-Type": "application/json", **(headers or {})}
            response = self.client.request(method, path, content=content, headers=headers, **extra)
        except httpx.HTTPError as exc:
            return Answer(
                method, path, sent, seconds=time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}"
            )
        return Answer(
            method,
            path,
            sent,
            response.status_code,
            response.headers.get("content-type", ""),
            response.headers.get("content-length"),
            response.content,
            time.perf_counter() - started,
        )

    # --- a session and a model of our own --------------------------------------------------------

    def session(self) -> tuple[str | None, Answer]:
        body = CreateSessionRequest(tags=["tinker-harness-certify"], user_metadata={}, sdk_version=PROBE_SDK_VERSION)
        answer = self.call("POST", "/api/v1/create_session", "create_session", json_body=body.to_wire())
        found = answer.json()
        return (found.get("session_id") if isinstance(found, dict) else None), answer

    def model(self, session_id: str, base_model: str, model_seq_id: int = 0) -> tuple[str | None, list[Answer]]:
        body = CreateModelRequest(
            session_id=session_id, model_seq_id=model_seq_id, base_model=base_model, lora_config=LoraConfig(rank=8)
        )
        submitted = self.call("POST", "/api/v1/create_model", "create_model", json_body=body.to_wire())
        answers = [submitted]
        request_id = _request_id(submitted)
        if request_id is None:
            return None, answers
        result, polls = self.wait(request_id, "CreateModel")
        answers += polls
        model_id = result.get("model_id") if isinstance(result, dict) else None
        return (str(model_id) if model_id else None), answers

    def wait(self, request_id: str, request_type: str, deadline: float = 120.0) -> tuple[Any, list[Answer]]:
        """Poll a future to its JSON result (Accept: application/json); the last answer's JSON."""
        answers: list[Answer] = []
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            answer = self.poll(request_id, request_type, accept="application/json")
            answers.append(answer)
            found = answer.json()
            if answer.status != 200 or not (isinstance(found, dict) and found.get("type") == "try_again"):
                return found, answers[-5:]
        return None, answers[-5:]

    def poll(self, request_id: str, request_type: str, *, accept: str, timeout: float = 60.0) -> Answer:
        headers = {"Accept": accept, "X-Tinker-Request-Type": request_type}
        body = {"request_id": request_id, "allow_metadata_only": False}
        return self.call(
            "POST", "/api/v1/retrieve_future", f"poll {request_type}, Accept {accept}", json_body=body,
            headers=headers, timeout=timeout,
        )  # fmt: skip

    def forward_backward_proto(self, model_id: str, seq_id: int, *, compress: bool) -> Answer:
        raw = encode_forward_backward(model_id, seq_id, [datum()], "cross_entropy", None, forward_only=False)
        headers = {"Content-Type": "application/x-protobuf"}
        if compress:
            raw = zstandard.ZstdCompressor().compress(raw)
            headers["Content-Encoding"] = "zstd"
        sent = f"protobuf ForwardBackwardRequest seq_id {seq_id}" + (", zstd" if compress else "")
        return self.call("POST", "/api/v1/forward_backward", sent, content=raw, headers=headers)

    def optim_step(self, model_id: str, seq_id: int) -> Answer:
        body = OptimStepRequest(model_id=model_id, seq_id=seq_id, adam_params=AdamParams(learning_rate=1e-3))
        return self.call("POST", "/api/v1/optim_step", f"optim_step seq_id {seq_id}", json_body=body.to_wire())

    # --- an oversized body, over a raw connection -----------------------------------------------------

    def oversized(self, declared: int, send_bytes: int = 1 << 16, wait: float = 20.0) -> Answer:
        """POST ``/api/v1/create_session`` declaring a ``declared``-byte body, send the first ``send_bytes``
        of it and stop: a server that bounds bodies answers 413 on the declared length alone; one that
        waits for the rest never answers."""
        return asyncio.run(self._oversized(declared, send_bytes, wait))

    async def _oversized(self, declared: int, send_bytes: int, wait: float) -> Answer:
        url = urlsplit(self.base_url)
        secure = url.scheme == "https"
        port = url.port or (443 if secure else 80)
        path = url.path.rstrip("/") + "/api/v1/create_session"
        sent = f"Content-Length {declared} declared, the first {send_bytes} bytes sent"
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(url.hostname, port, ssl=ssl.create_default_context() if secure else None),
                timeout=15,
            )
        except (OSError, TimeoutError) as exc:
            return Answer("POST", path, sent, error=f"cannot connect: {exc}")
        head = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", "Content-Type: application/json",
                f"Content-Length: {declared}", "Connection: close"]  # fmt: skip
        head += [f"{k}: {v}" for k, v in self.headers.items()]
        problem = None
        raw = b""
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + b" " * send_bytes)
            await writer.drain()
            raw = await asyncio.wait_for(_read_answer(reader), timeout=wait)
            if not raw:
                problem = "the server closed the connection without an answer"
        except TimeoutError:
            problem = f"no answer within {wait:g} s: the server waits for the whole declared body"
        except OSError as exc:
            problem = f"the connection failed: {type(exc).__name__}: {exc}"
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass
        seconds = time.perf_counter() - started
        if problem is not None:
            return Answer("POST", path, sent, seconds=seconds, error=problem)
        return _parse_raw("POST", path, sent, raw, seconds)


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    """Status line, headers and the body (by its Content-Length, else up to the close), at most 64 KiB."""
    raw = b""
    while len(raw) < (1 << 16):
        try:
            chunk = await reader.read(1 << 16)
        except OSError:
            break  # the server reset the connection after answering
        if not chunk:
            break
        raw += chunk
        head, separator, body = raw.partition(b"\r\n\r\n")
        if separator:
            lengths = [
                line.split(b":", 1)[1].strip()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if lengths and lengths[0].isdigit() and len(body) >= int(lengths[0]):
                break
    return raw


def _request_id(answer: Answer) -> str | None:
    found = answer.json()
    value = found.get("request_id") if isinstance(found, dict) and answer.status < 300 else None
    return str(value) if value else None


def _parse_raw(method: str, path: str, sent: str, raw: bytes, seconds: float) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return Answer(method, path, sent, seconds=seconds, error=f"not an HTTP answer: {raw[:80]!r}")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return Answer(
        method, path, sent, status, headers.get("content-type", ""), headers.get("content-length"), body, seconds
    )
