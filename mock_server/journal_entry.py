"""A journal entry: one exchange decoded, checked against the contracts and redacted (§17).

:class:`JournalEntry` is the one model of an exchange that the mock writes (control API, JSONL
sink) and that scenarios, reports and tests read; ``format`` versions its JSON form
(:data:`JOURNAL_FORMAT`), and :meth:`JournalEntry.from_json` reads it back. :func:`materialise`
builds an entry from a raw :class:`~mock_server.exchange.ExchangeRecord`; the journal calls it when
an entry is first read or written to disk, never on the request's path.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from google.protobuf.message import Message

from tinker_harness.contracts.catalogue import endpoint_named
from tinker_harness.contracts.proto_json import decode_proto, proto_to_json
from tinker_harness.contracts.request_json import load_json
from tinker_harness.contracts.tensor_codec import WireFormatError
from tinker_harness.contracts.validation import Exchange, check_exchange
from tinker_harness.mock_server.codec import decompress_body
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.exchange import ExchangeRecord
from tinker_harness.mock_server.generations import generation_of, sdk_version_of
from tinker_harness.mock_server.redaction import redact, redact_headers

__all__ = ["JOURNAL_FORMAT", "JournalEntry", "materialise"]

JOURNAL_FORMAT = 1  # the version of JournalEntry's JSON form


@dataclass
class JournalEntry:
    seq: int
    timestamp: float
    http_request_id: str
    method: str
    path: str
    query: str
    endpoint: str | None
    status: int
    request_headers: dict[str, str]
    response_headers: dict[str, str]
    request_body: Any
    response_body: Any
    duration_ms: float
    session_id: str | None = None
    sdk_version: str | None = None
    sdk_generation: str | None = None
    sdk_method: str | None = None
    request_type: str | None = None
    future_request_id: str | None = None
    request_violations: list[str] = field(default_factory=list)
    response_violations: list[str] = field(default_factory=list)
    fault: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    format: int = JOURNAL_FORMAT

    @property
    def violations(self) -> list[str]:
        return [f"request: {v}" for v in self.request_violations] + [f"response: {v}" for v in self.response_violations]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JournalEntry:
        """An entry read back from the control API or a JSONL sink (unknown keys are an error)."""
        version = data.get("format", JOURNAL_FORMAT)
        if version != JOURNAL_FORMAT:
            raise ValueError(f"journal entry format {version!r} is not {JOURNAL_FORMAT}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"journal entry has unknown keys {unknown}")
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        missing = [name for name in required if name not in data]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        return cls(**data)

    def describe(self) -> str:
        """One line for assertion messages: ``#12 POST /api/v1/optim_step -> 200``."""
        return f"#{self.seq} {self.method} {self.path} -> {self.status}"


def _decode(raw: bytes, content_type: str, proto_type: type[Message] | None) -> Any:
    if not raw:
        return None
    if "application/x-protobuf" in content_type and proto_type is not None:
        try:
            return {"protobuf": proto_type.__name__, "message": proto_to_json(decode_proto(proto_type, raw))}
        except WireFormatError as exc:
            return {"protobuf": proto_type.__name__, "undecodable": str(exc), "bytes": len(raw)}
    try:
        return load_json(raw)
    except ValueError:  # not JSON, or nested too deep to walk
        return {"text": raw.decode("utf-8", errors="replace")[:4096], "bytes": len(raw)}


def materialise(record: ExchangeRecord, seq: int, *, validate: bool) -> JournalEntry:
    """The journal entry of a raw exchange: bodies decoded, both sides checked, secrets redacted."""
    req_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in record.request_headers]
    resp_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in record.response_headers]
    rh = {k.lower(): v for k, v in req_headers}
    sh = {k.lower(): v for k, v in resp_headers}
    endpoint = record.endpoint
    origin = endpoint_named(record.future_origin) if record.future_origin else None
    body = record.request_body
    if body and rh.get("content-encoding"):
        try:
            body = decompress_body(body, rh.get("content-encoding"))
        except ApiError:  # journal the bytes as they came; the handler already answered 4xx
            pass
    req_ct, resp_ct = rh.get("content-type", ""), sh.get("content-type", "")
    request_violations: list[str] = []
    response_violations: list[str] = []
    if endpoint is not None and validate and not record.fault_changes_answer:
        check = check_exchange(
            Exchange(
                endpoint=endpoint,
                request_content_type=req_ct,
                request_body=body,
                status=record.status,
                response_content_type=resp_ct,
                response_body=record.response_body,
                accept=rh.get("accept", ""),
                future_origin=origin,
            )
        )
        request_violations, response_violations = list(check.request), list(check.response)
    sdk_version = sdk_version_of(rh)
    return JournalEntry(
        seq=seq,
        timestamp=record.timestamp,
        http_request_id=sh.get("x-request-id", ""),
        method=record.method,
        path=record.path,
        query=record.query,
        endpoint=endpoint.name if endpoint else record.route,
        status=record.status,
        request_headers=redact_headers(req_headers),
        response_headers=redact_headers(resp_headers),
        request_body=redact(_decode(body, req_ct, endpoint.proto_request if endpoint else None)),
        response_body=redact(_decode(record.response_body, resp_ct, origin.proto_result if origin else None)),
        duration_ms=record.duration_ms,
        session_id=record.session_id,
        sdk_version=sdk_version,
        sdk_generation=generation_of(sdk_version),
        sdk_method=rh.get("x-sdk-method"),
        request_type=rh.get("x-tinker-request-type"),
        future_request_id=record.future_request_id,
        request_violations=request_violations,
        response_violations=response_violations,
        fault=record.fault,
        notes=record.notes,
    )
