"""Load request journals (JSONL of :class:`mock_server.journal_entry.JournalEntry`, read back with
``JournalEntry.from_json``) and normalise them (:class:`mock_server.journal_normalise.JournalNormaliser`).

Normalisation makes two adapters' runs of the same scenario comparable:

* ids — every UUID-shaped substring (session, model, request, sampler ids, inside paths and
  ``tinker://`` URIs too) becomes ``<id>``; redacted secrets become ``<redacted>``. The raw future
  id and idempotency key are kept apart (:attr:`NormEntry.future`, :attr:`NormEntry.idempotency_key`):
  polls are grouped per future and retries per key, never by normalised body;
* time — ISO-8601 timestamps become ``<ts>``; ``timestamp`` survives only as the gaps between
  attempts (see :mod:`reports.behaviour.calls`);
* header case — names are lower-cased; transport headers (host, content-length, connection,
  accept-encoding) are dropped;
* encodings — a protobuf ``ForwardBackwardRequest`` the journal decoded is compared in the shape of
  its JSON twin (``forward_backward_input``/``forward_input`` with ``model_input.chunks``, protocol
  reference §7), so a port that sends JSON is compared field by field; the encoding itself stays
  in the ``content-type`` header;
* outcomes — each exchange keeps what the client saw: its status, a ``retry-after``/``retry-after-ms``
  hint, ``x-should-retry``, and for a poll whether the future was pending, failed or done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinker_harness.contracts.usage_errors import read_user_text
from tinker_harness.mock_server.journal_entry import JournalEntry
from tinker_harness.mock_server.journal_normalise import JournalNormaliser

__all__ = ["JournalError", "NormEntry", "load_journal", "normalise_value", "poll_outcome"]

_NORMALISER = JournalNormaliser()
_TRANSPORT = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding", "date"}


class JournalError(ValueError):
    """A journal line is not a journal entry; the message names the file and line."""


@dataclass(frozen=True)
class NormEntry:
    file: str
    line: int
    timestamp: float
    endpoint: str  # the mock's endpoint name, else "<METHOD> <normalised path>"
    method: str
    path: str
    status: int
    headers: dict[str, str]
    content_type: str
    body: Any
    request_type: str | None
    fault: str | None
    future: str | None = None  # raw id of the future this request created or polls
    idempotency_key: str | None = None  # raw x-idempotency-key
    declared: tuple[str, ...] = ()  # the SDK versions the client declared (journal, package header, body)
    forward_only: bool = False  # a forward_backward request with forward_only set (§7)
    retry_after: float | None = None  # seconds the server asked for (retry-after-ms, retry-after)
    should_retry: str | None = None  # the x-should-retry answer header
    outcome: str = ""  # "200", "503", "fault", or for a poll: "pending", "metadata", "failed", "done"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_body(self) -> bool:
        return self.body not in (None, "", {}, [])

    @property
    def failed(self) -> bool:
        """The client did not get what it asked for (an error status, a broken answer, a failed future)."""
        return self.status >= 400 or self.outcome in ("fault", "failed")


def normalise_value(value: Any) -> Any:
    """``value`` normalised; a decoded protobuf request is compared in its JSON shape (§7)."""
    return _NORMALISER.value(value, _protobuf_view)


def _protobuf_view(value: dict[str, Any]) -> Any | None:
    if set(value) == {"protobuf", "message"}:
        return _json_view(str(value["protobuf"]), value["message"])
    return None


def _json_view(message_type: str, message: Any) -> Any:
    """A decoded protobuf request in the shape of the JSON body carrying the same fields (§7)."""
    if message_type != "ForwardBackwardRequest" or not isinstance(message, dict):
        return message
    data = [
        {"loss_fn_inputs": d.get("loss_fn_inputs", {}), "model_input": {"chunks": d.get("model_input", [])}}
        for d in message.get("data", [])
        if isinstance(d, dict)
    ]
    inner: dict[str, Any] = {"data": data, "loss_fn": message.get("loss_fn")}
    if message.get("loss_fn_config"):  # protobuf cannot tell an empty map from an absent one
        inner["loss_fn_config"] = message["loss_fn_config"]
    key = "forward_input" if message.get("forward_only") else "forward_backward_input"
    return {key: inner, "model_id": message.get("model_id"), "seq_id": message.get("seq_id")}


def poll_outcome(status: int, body: Any) -> str:
    """What a retrieve_future answer meant to the client: an HTTP status, or pending/failed/done."""
    if status != 200:
        return str(status)
    if isinstance(body, dict):
        if body.get("type") == "try_again":
            return "pending"
        if "error" in body and "category" in body:
            return "failed"
        if "response_payload_size" in body and "status" in body:
            return "metadata"  # complete_metadata: the result is ready, poll again without allow_metadata_only
    return "done"


def _retry_after(headers: dict[str, str]) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) * scale
        except ValueError:
            continue
    return None


def _entry(path: Path, line: int, entry: JournalEntry) -> NormEntry:
    raw_headers = {str(k).lower(): str(v) for k, v in dict(entry.request_headers).items()}
    headers = {k: v for k, v in raw_headers.items() if k not in _TRANSPORT}
    answer = {str(k).lower(): str(v) for k, v in dict(entry.response_headers or {}).items()}
    norm_path = normalise_value(str(entry.path))
    endpoint = str(entry.endpoint or f"{entry.method} {norm_path}")
    body = entry.request_body
    message = body.get("message") if isinstance(body, dict) and set(body) == {"protobuf", "message"} else body
    future = entry.future_request_id
    if future is None and endpoint == "retrieve_future" and isinstance(message, dict):
        future = message.get("request_id")
    status = int(entry.status)
    fault = entry.fault
    if endpoint == "retrieve_future":
        outcome = poll_outcome(status, entry.response_body)
    else:
        outcome = str(status)
    if fault is not None and ": transport" in str(fault):
        outcome = "fault"  # the connection broke (mock_server.faults: reset, empty or garbled answer)
    declared = {entry.sdk_version, headers.get("x-stainless-package-version")}
    if isinstance(message, dict):
        declared.add(message.get("sdk_version"))
    return NormEntry(
        file=f"{path.parent.name}/{path.name}",
        line=line,
        timestamp=float(entry.timestamp or 0.0),
        endpoint=endpoint,
        method=str(entry.method).upper(),
        path=norm_path,
        status=status,
        headers={k: normalise_value(v) for k, v in headers.items()},
        content_type=headers.get("content-type", "").split(";", 1)[0].strip(),
        body=normalise_value(body),
        request_type=entry.request_type,
        fault=fault,
        future=str(future) if future else None,
        idempotency_key=raw_headers.get("x-idempotency-key"),
        declared=tuple(sorted(str(v) for v in declared if v)),
        forward_only=bool(isinstance(message, dict) and message.get("forward_only")),
        retry_after=_retry_after(answer),
        should_retry=answer.get("x-should-retry"),
        outcome=outcome,
    )


def load_journal(path: Path) -> list[NormEntry]:
    """The normalised entries of a JSONL journal, in file order."""
    entries = []
    lines = read_user_text(path, JournalError).splitlines()
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise JournalError(f"{path}:{number}: not JSON: {exc.msg}") from exc
        if not isinstance(raw, dict):
            raise JournalError(f"{path}:{number}: not a journal entry (a JSON object is expected)")
        try:
            entry = JournalEntry.from_json(raw)
        except ValueError as exc:
            raise JournalError(f"{path}:{number}: not a journal entry ({exc})") from None
        entries.append(_entry(path, number, entry))
    return entries
