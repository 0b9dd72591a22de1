"""Reading and writing cassette files (the format is described in :mod:`mock_server.recording.cassette`).

Writing: :func:`write_cassette` replaces a file atomically; :class:`CassetteAppender` adds one
interaction at a time (the recording proxy), each flushed to disk at once, so an interrupted
recording keeps everything up to the last completed exchange. Only prepared (scrubbed)
interactions are ever given to either.

Reading: :func:`read_cassette` validates the document and names ``file:line`` and the field of
anything wrong. Cassettes written by plain vcrpy (no ``tinker`` annotations) load too: the
annotations are derived from the bytes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any

import yaml

from tinker_harness.contracts.usage_errors import UsageError
from tinker_harness.mock_server.recording.bodies import endpoint_of, is_protobuf
from tinker_harness.mock_server.recording.cassette import (
    Annotation,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    api_path,
)

__all__ = ["CassetteAppender", "CassetteError", "dump_interaction", "read_cassette", "write_cassette"]

_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_WIDTH = 1 << 30  # one scalar per line: line numbers in `cassette check` point at whole values


class CassetteError(UsageError, ValueError):
    """A cassette cannot be read or is malformed; the message names the file, line and field."""


def _body_out(body: bytes, content_type: str | None) -> str | bytes:
    """Text bodies as strings (readable), protobuf and other binary as ``!!binary``."""
    if is_protobuf(content_type):
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    return text if all(c.isprintable() or c in "\n\t" for c in text) else body


def interaction_dict(interaction: Interaction) -> dict[str, Any]:
    req, resp = interaction.request, interaction.response
    return {
        "request": {
            "method": req.method,
            "uri": req.uri,
            "body": _body_out(req.body, req.header("content-type")),
            "headers": req.headers,
        },
        "response": {
            "status": {"code": resp.status, "message": resp.reason},
            "headers": resp.headers,
            "body": {"string": _body_out(resp.body, resp.header("content-type"))},
        },
        "tinker": interaction.tinker.to_dict(),
    }


def _dump(data: Any) -> str:
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=_WIDTH))


def dump_interaction(interaction: Interaction) -> str:
    """One ``- request: …`` item of the ``interactions`` list."""
    return _dump([interaction_dict(interaction)])


def _preamble(header_fields: dict[str, Any]) -> str:
    return _dump({"version": 1, "tinker_harness": header_fields})


def write_cassette(path: Path, cassette: Cassette) -> None:
    """Write the whole cassette, atomically (a reader never sees half a file)."""
    items = "".join(dump_interaction(i) for i in cassette.interactions)
    text = _preamble(cassette.header) + ("interactions:\n" + items if items else "interactions: []\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class CassetteAppender:
    """A cassette written one interaction at a time."""

    def __init__(self, path: Path, header_fields: dict[str, Any]) -> None:
        self.path = path
        self.count = 0
        self._out: IO[str] | None = path.open("w", encoding="utf-8")
        self._out.write(_preamble(header_fields))
        self._out.flush()

    def append(self, interaction: Interaction) -> None:
        if self._out is None:
            raise CassetteError(f"{self.path}: the cassette is closed")
        if self.count == 0:
            self._out.write("interactions:\n")
        self._out.write(dump_interaction(interaction))
        self._out.flush()
        self.count += 1

    def close(self) -> None:
        if self._out is None:
            return
        if self.count == 0:
            self._out.write("interactions: []\n")
        self._out.close()
        self._out = None


# --- reading -------------------------------------------------------------------------------------


def read_cassette(path: Path) -> Cassette:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CassetteError(f"{source}: cannot read cassette: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_cassette(text, source)


def parse_cassette(text: str, source: str) -> Cassette:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise CassetteError(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict) or "interactions" not in data:
        raise CassetteError(f"{source}:1: not a cassette: expected a mapping with 'version' and 'interactions'")
    if data.get("version") != 1:
        raise CassetteError(f"{source}:1: version: expected 1 (vcrpy cassette format), got {data.get('version')!r}")
    raw_items = data["interactions"] or []
    if not isinstance(raw_items, list):
        raise CassetteError(f"{source}: interactions: expected a list")
    lines = _item_lines(root)
    interactions = [
        _interaction(item, i, f"{source}:{lines[i] if i < len(lines) else '?'}", lines[i] if i < len(lines) else None)
        for i, item in enumerate(raw_items)
    ]
    header_fields = data.get("tinker_harness") if isinstance(data.get("tinker_harness"), dict) else {}
    return Cassette(interactions, dict(header_fields or {}), source)


def _item_lines(root: Any) -> list[int]:
    """1-based line of each item of the ``interactions`` sequence."""
    for key, value in getattr(root, "value", []):
        if getattr(key, "value", None) == "interactions" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _need(value: Any, kind: type | tuple[type, ...], where: str, field: str) -> Any:
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise CassetteError(f"{where}: {field}: expected {names}, got {type(value).__name__} {value!r:.60}")
    return value


def _headers(raw: Any, where: str, field: str) -> dict[str, list[str]]:
    _need(raw if raw is not None else {}, dict, where, field)
    out: dict[str, list[str]] = {}
    for name, values in (raw or {}).items():
        items = values if isinstance(values, list) else [values]
        out[str(name)] = [_need(v, (str, int, float), where, f"{field}.{name}") for v in items]
        out[str(name)] = [str(v) for v in out[str(name)]]
    return out


def _bytes(raw: Any, where: str, field: str) -> bytes:
    if raw is None:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8")
    return bytes(_need(raw, (bytes, bytearray), where, field))


def _interaction(item: Any, index: int, where: str, line: int | None) -> Interaction:
    field = f"interactions[{index}]"
    _need(item, dict, where, field)
    req = _need(item.get("request"), dict, where, f"{field}.request")
    resp = _need(item.get("response"), dict, where, f"{field}.response")
    if "status_code" in resp:
        raise CassetteError(f"{where}: {field}.response: pre-8.0 vcrpy httpx layout; re-record the cassette")
    status = _need(resp.get("status"), dict, where, f"{field}.response.status")
    body = resp.get("body")
    body_string = body.get("string") if isinstance(body, dict) else body
    request = RecordedRequest(
        method=_need(req.get("method"), str, where, f"{field}.request.method").upper(),
        uri=_need(req.get("uri"), str, where, f"{field}.request.uri"),
        headers=_headers(req.get("headers"), where, f"{field}.request.headers"),
        body=_bytes(req.get("body"), where, f"{field}.request.body"),
    )
    code = _need(status.get("code"), int, where, f"{field}.response.status.code")
    response = RecordedResponse(
        status=code,
        reason=str(status.get("message") or ""),
        headers=_headers(resp.get("headers"), where, f"{field}.response.headers"),
        body=_bytes(body_string, where, f"{field}.response.body.string"),
    )
    return Interaction(request, response, _annotation(item.get("tinker"), index, request, where, field), line)


def _annotation(raw: Any, index: int, request: RecordedRequest, where: str, field: str) -> Annotation:
    path = api_path(request.uri)
    if raw is None:  # a plain vcrpy cassette
        endpoint = endpoint_of(request.method, path)
        return Annotation(seq=index, path=path, endpoint=endpoint.name if endpoint else None)
    _need(raw, dict, where, f"{field}.tinker")
    seq = _need(raw.get("seq", index), int, where, f"{field}.tinker.seq")
    return Annotation(
        seq=seq,
        path=str(raw.get("path") or path),
        endpoint=raw.get("endpoint"),
        started=raw.get("started"),
        duration=raw.get("duration"),
        request_view=raw.get("request_view"),
        response_view=raw.get("response_view"),
        request_encoding=raw.get("request_encoding"),
        response_encoding=raw.get("response_encoding"),
        notes=dict(raw.get("notes") or {}),
    )
