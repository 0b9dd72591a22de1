"""The cassette: recorded HTTP exchanges in vcrpy's cassette format (version 1), annotated for Tinker.

One format serves every recorder and player: the recording proxy, in-process vcrpy recording,
vcrpy playback and the replay server all read and write the same YAML file, and a plain
``vcr.use_cassette(path)`` can play it too. On top of vcrpy's ``request``/``response`` pair each
interaction carries a ``tinker`` annotation (vcrpy ignores unknown keys), and the document a
``tinker_harness`` header::

    version: 1
    tinker_harness: {format: 1, recorder: proxy, upstream: 'https://…', scrubbed_fields: [model_id]}
    interactions:
    - request:
        method: POST
        uri: https://…/api/v1/optim_step
        headers: {content-type: [application/json], x-api-key: ['<redacted:1a2b3c4d>']}
        body: '{"model_id":"…","seq_id":2,"type":"optim_step","adam_params":{…}}'
      response:
        status: {code: 200, message: OK}
        headers: {content-type: [application/json], content-length: ['28']}
        body: {string: '{"request_id":"req-00000003"}'}
      tinker: {seq: 7, endpoint: optim_step, path: /api/v1/optim_step, started: 0.412, duration: 0.003}

Bodies are stored decoded (no ``Content-Encoding``) and scrubbed; protobuf bodies (protocol
reference §7) are stored as exact ``!!binary`` bytes with a readable JSON view beside them in
``tinker.request_view``/``tinker.response_view``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = [
    "CASSETTE_FORMAT",
    "Annotation",
    "Cassette",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "api_path",
]

CASSETTE_FORMAT = 1  # of the ``tinker_harness`` header; the document itself is vcrpy cassette version 1
API_PREFIX = "/api/"


def api_path(uri_or_path: str) -> str:
    """The Tinker path of a URL: from ``/api/`` on, so a base URL's own prefix does not matter (§1)."""
    path = unquote(urlsplit(uri_or_path).path) if "://" in uri_or_path else unquote(uri_or_path.split("?", 1)[0])
    index = path.find(API_PREFIX)
    return path[index:] if index > 0 else path or "/"


def header(headers: dict[str, list[str]], name: str) -> str | None:
    """First value of a header, looked up case-insensitively."""
    lname = name.lower()
    for key, values in headers.items():
        if key.lower() == lname and values:
            return values[0]
    return None


@dataclass
class RecordedRequest:
    method: str
    uri: str
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return header(self.headers, name)

    @property
    def path(self) -> str:
        return api_path(self.uri)

    @property
    def query(self) -> str:
        return urlsplit(self.uri).query


@dataclass
class RecordedResponse:
    status: int
    reason: str
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclass
class Annotation:
    """What the recorder knew besides the bytes (the ``tinker`` key of an interaction)."""

    seq: int  # arrival order of the request (interactions are written in completion order)
    path: str
    endpoint: str | None = None
    started: float | None = None  # seconds since the recording's first request
    duration: float | None = None
    request_view: Any = None  # readable JSON of a protobuf request body
    response_view: Any = None  # readable JSON of a protobuf response body
    request_encoding: str | None = None  # the Content-Encoding the client sent (body stored decoded)
    response_encoding: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seq": self.seq, "endpoint": self.endpoint, "path": self.path}
        for key in ("started", "duration", "request_encoding", "response_encoding", "request_view", "response_view"):
            value = getattr(self, key)
            if value is not None:
                out[key] = round(value, 6) if isinstance(value, float) else value
        if self.notes:
            out["notes"] = self.notes
        return out


@dataclass
class Interaction:
    request: RecordedRequest
    response: RecordedResponse
    tinker: Annotation
    line: int | None = None  # 1-based line of the interaction in the file it was read from

    def where(self, source: str) -> str:
        return f"{source}:{self.line}" if self.line else f"{source} interaction #{self.tinker.seq}"


@dataclass
class Cassette:
    interactions: list[Interaction]
    header: dict[str, Any] = field(default_factory=dict)
    source: str = "<memory>"
