"""Load request journals (JSONL of :class:`mock_server.journal.JournalEntry`) and normalise them.

Normalisation makes two adapters' runs of the same scenario comparable:

* ids — every UUID-shaped substring (session, model, request, sampler ids, inside paths and
  ``tinker://`` URIs too) becomes ``<id>``; redacted secrets become ``<redacted>``;
* time — ISO-8601 timestamps become ``<ts>``; ``timestamp``/``duration_ms``/``seq`` are dropped
  (timing survives only as the gaps between retries, see :mod:`reports.behaviour.diff`);
* header case — names are lower-cased; transport headers (host, content-length, connection,
  accept-encoding) are dropped;
* encodings — a protobuf body the journal decoded (``{"protobuf": T, "message": {...}}``) is
  compared by its message; the encoding itself is kept as the request content type;
* order — entries are grouped per endpoint and compared as multisets, so the order of concurrent
  requests does not matter.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["JournalError", "NormEntry", "load_journal", "normalise_value"]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
_REDACTED = re.compile(r"<redacted:[^>]*>")
_TRANSPORT = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding", "date"}
_REQUIRED = ("method", "path", "status", "request_headers")


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
    extra: dict[str, Any] = field(default_factory=dict)


def normalise_value(value: Any) -> Any:
    if isinstance(value, str):
        value = _REDACTED.sub("<redacted>", value)
        value = _ISO.sub("<ts>", value)
        return _UUID.sub("<id>", value)
    if isinstance(value, list):
        return [normalise_value(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"protobuf", "message"}:
            return normalise_value(value["message"])
        return {str(k): normalise_value(v) for k, v in value.items()}
    return value


def _entry(path: Path, line: int, raw: dict[str, Any]) -> NormEntry:
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise JournalError(f"{path}:{line}: not a journal entry (missing {', '.join(missing)})")
    headers = {
        str(k).lower(): str(v) for k, v in dict(raw["request_headers"]).items() if str(k).lower() not in _TRANSPORT
    }
    norm_path = normalise_value(str(raw["path"]))
    endpoint = raw.get("endpoint") or f"{raw['method']} {norm_path}"
    return NormEntry(
        file=f"{path.parent.name}/{path.name}",
        line=line,
        timestamp=float(raw.get("timestamp") or 0.0),
        endpoint=str(endpoint),
        method=str(raw["method"]).upper(),
        path=norm_path,
        status=int(raw["status"]),
        headers={k: normalise_value(v) for k, v in headers.items()},
        content_type=headers.get("content-type", "").split(";", 1)[0].strip(),
        body=normalise_value(raw.get("request_body")),
        request_type=raw.get("request_type"),
        fault=raw.get("fault"),
    )


def load_journal(path: Path) -> list[NormEntry]:
    """The normalised entries of a JSONL journal, in file order."""
    entries = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise JournalError(f"{path}: cannot read: {exc.strerror}") from exc
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise JournalError(f"{path}:{number}: not JSON: {exc.msg}") from exc
        if not isinstance(raw, dict):
            raise JournalError(f"{path}:{number}: not a journal entry (a JSON object is expected)")
        entries.append(_entry(path, number, raw))
    return entries
