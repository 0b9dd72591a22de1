"""Scrubbing at write time: no credential reaches a cassette, in headers, URLs, JSON or protobuf bodies.

Rules (shared with the journal's :mod:`mock_server.redaction`; tags are ``<redacted:XXXXXXXX>``,
a short hash, so one secret always gets one tag and scrubbing twice changes nothing):

* headers: ``X-API-Key``, ``Authorization``, cookies, ``CF-Access-Client-Id``/``-Secret``,
  ``X-Tinker-Weights-Access-Token`` (protocol reference §2.1) and any configured header are
  replaced whole; every other header value is scrubbed as text;
* text (any string anywhere, URLs included): ``tml-`` keys, ``eyJ…`` JWTs, bearer tokens, the
  values of credential-named URL query parameters (``signature``, ``X-Goog-Credential``, ``token``…);
* fields: a JSON key or protobuf field (or ``map<string, …>`` key) named like a secret (``api_key``,
  ``jwt``, ``weights_access_token``…) or configured (``ScrubRules.fields``, e.g. ``model_id``) has its
  string value replaced whole, and that value is then replaced wherever else it occurs, e.g.
  inside ``tinker://<model_id>/weights/…`` paths and URL paths.

Protobuf bodies (§7) are decoded, every string field is scrubbed, and the message is re-encoded only
when something changed, so an untouched body keeps its exact bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

from tinker_harness.contracts.request_json import load_json
from tinker_harness.mock_server.recording.packing import pack, unpack
from tinker_harness.mock_server.redaction import (
    REDACTION_TAG,
    SECRET_HEADERS,
    SECRET_KEYS,
    credential_spans,
    redact_text,
    redaction_tag,
)

__all__ = ["ScrubRules", "Scrubber"]

_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:[A-Za-z0-9_.\-]*(?:signature|sig|credential|token|secret|password|api[_-]?key))=)([^&#\s\"'<>]+)"
)
_MIN_LEARNED = 4  # shorter configured values would be replaced all over the cassette
StrFix = Callable[[str, bool], str]


@dataclass(frozen=True)
class ScrubRules:
    """What counts as secret beyond the built-in rules: field names (JSON and protobuf) and header names."""

    fields: frozenset[str] = frozenset()
    headers: frozenset[str] = frozenset()

    @classmethod
    def of(cls, fields: Iterable[str] = (), headers: Iterable[str] = ()) -> ScrubRules:
        return cls(frozenset(f.lower() for f in fields), frozenset(h.lower() for h in headers))


class Scrubber:
    """Stateful: values of secret fields seen so far are replaced everywhere in later text too."""

    def __init__(self, rules: ScrubRules | None = None) -> None:
        self.rules = rules or ScrubRules()
        self._secret_keys = SECRET_KEYS | self.rules.fields
        self._secret_headers = SECRET_HEADERS | self.rules.headers
        self._learned: dict[str, str] = {}  # secret value -> its tag, longest first when applied

    # --- strings -------------------------------------------------------------------------------
    def secret(self, value: str) -> str:
        """The tag replacing a whole secret value (a tag stays as it is)."""
        if not value or REDACTION_TAG.fullmatch(value):
            return value
        if len(value) >= _MIN_LEARNED:
            self._learned.setdefault(value, redaction_tag(value))
        return redaction_tag(value)

    def text(self, value: str) -> str:
        """``value`` with credential shapes, secret query parameters and learned secrets replaced."""
        if not value or REDACTION_TAG.fullmatch(value):
            return value
        for secret in sorted(self._learned, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, self._learned[secret])
        value = redact_text(value)
        return _QUERY_SECRET.sub(lambda m: m.group(1) + _tag_unless_tag(m.group(2)), value)

    def _fix(self, value: str, secret: bool) -> str:
        return self.secret(value) if secret else self.text(value)

    def learn(self, value: str, secret: bool) -> str:
        if secret:
            self.secret(value)
        return value

    def is_secret_name(self, name: str) -> bool:
        return name.lower() in self._secret_keys

    # --- headers -------------------------------------------------------------------------------
    def learn_headers(self, headers: dict[str, list[str]]) -> None:
        for name, values in headers.items():
            if name.lower() in self._secret_headers:
                for value in values:
                    self.secret(value)

    def headers(self, headers: dict[str, list[str]]) -> dict[str, list[str]]:
        return {
            name: [self.secret(v) if name.lower() in self._secret_headers else self.text(v) for v in values]
            for name, values in headers.items()
        }

    # --- JSON ----------------------------------------------------------------------------------
    def json_value(self, value: Any, fix: StrFix | None = None, secret: bool = False) -> Any:
        """A scrubbed copy of a JSON value (``fix`` = :meth:`learn` only collects secret values)."""
        fix = fix or self._fix
        if isinstance(value, str):
            return fix(value, secret)
        if isinstance(value, dict):
            return {
                fix(k, False) if isinstance(k, str) else k: self.json_value(
                    v, fix, secret or (isinstance(k, str) and self.is_secret_name(k))
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.json_value(v, fix, secret) for v in value]
        return value

    # --- protobuf ------------------------------------------------------------------------------
    def proto(self, message: Message, fix: StrFix | None = None, secret: bool = False) -> bool:
        """Scrub every string field of ``message`` in place; True when anything changed."""
        fix = fix or self._fix
        changed = False
        for fd, value in message.ListFields():
            is_secret = secret or self.is_secret_name(fd.name)
            entry = fd.message_type
            if entry is not None and entry.GetOptions().map_entry:
                changed |= self._proto_map(value, entry.fields_by_name["value"], fix, is_secret)
            elif fd.type == FieldDescriptor.TYPE_MESSAGE:
                for item in value if fd.is_repeated else [value]:
                    changed |= self.proto(item, fix, is_secret)
            elif fd.type == FieldDescriptor.TYPE_STRING:
                if fd.is_repeated:
                    for i, item in enumerate(value):
                        new = fix(item, is_secret)
                        if new != item:
                            value[i], changed = new, True
                else:
                    new = fix(value, is_secret)
                    if new != value:
                        setattr(message, fd.name, new)
                        changed = True
        return changed

    def _proto_map(self, container: Any, value_fd: FieldDescriptor, fix: StrFix, secret: bool) -> bool:
        changed = False
        for key in list(container.keys()):
            is_secret = secret or (isinstance(key, str) and self.is_secret_name(key))
            if value_fd.type == FieldDescriptor.TYPE_MESSAGE:
                changed |= self.proto(container[key], fix, is_secret)
            elif value_fd.type == FieldDescriptor.TYPE_STRING:
                new = fix(container[key], is_secret)
                if new != container[key]:
                    container[key], changed = new, True
        return changed

    # --- bodies --------------------------------------------------------------------------------
    def learn_body(self, body: bytes, message_type: type[Message] | None) -> None:
        """Collect the values of secret fields before anything is scrubbed (so every place gets them)."""
        parsed = _parse(body, message_type)
        if isinstance(parsed, Message):
            self.proto(parsed, self.learn)
        elif parsed is not None:
            self.json_value(parsed, self.learn)

    def body(self, body: bytes, message_type: type[Message] | None, content_type: str | None = None) -> bytes:
        """Scrubbed bytes, whatever the body: protobuf re-encoded, JSON re-serialised (compactly),
        multipart scrubbed part by part, gzip/zstd payloads unpacked, scrubbed and packed again,
        other text scrubbed, and any other binary masked in place (see :meth:`masked`).

        Bytes that need no change are returned as they are, so an untouched body stays exact.
        """
        if not body:
            return body
        boundary = _multipart_boundary(content_type)
        if boundary is not None:
            return self._multipart(body, boundary)
        parsed = _parse(body, message_type)
        if isinstance(parsed, Message):
            return parsed.SerializeToString(deterministic=True) if self.proto(parsed) else body
        if parsed is not None:
            clean = self.json_value(parsed)
            return body if clean == parsed else json.dumps(clean, separators=(",", ":"), ensure_ascii=False).encode()
        unpacked = unpack(body)
        if unpacked is not None:  # a compressed payload (an archive, a .gz/.zst file) is scrubbed inside
            inner, codec = unpacked
            clean_inner = self.body(inner, None)
            return body if clean_inner == inner else pack(clean_inner, codec)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return self.masked(body)
        clean_text = self.text(text)
        return body if clean_text == text else clean_text.encode("utf-8")

    def masked(self, body: bytes) -> bytes:
        """Binary bytes with every secret overwritten by a mask of the same length, so the offsets and
        sizes inside an archive or a binary format stay valid: the secret's tag, padded with ``*``
        (or only ``*`` when the secret is shorter than a tag)."""
        text = body.decode("latin-1")  # one character per byte, both ways
        spans = credential_spans(text)
        spans += [m.span(2) for m in _QUERY_SECRET.finditer(text) if not REDACTION_TAG.fullmatch(unquote(m.group(2)))]
        for secret in self._learned:
            start = text.find(secret)
            while start >= 0:
                spans.append((start, start + len(secret)))
                start = text.find(secret, start + 1)
        if not spans:
            return body
        chars = list(text)
        for start, end in spans:
            chars[start:end] = _same_length_mask(text[start:end])
        return "".join(chars).encode("latin-1")

    def _multipart(self, body: bytes, boundary: bytes) -> bytes:
        """Each part's headers scrubbed as text and its payload as a body of its own content type."""
        delimiter = b"--" + boundary
        pieces = body.split(delimiter)
        clean = [pieces[0]]
        for piece in pieces[1:]:
            head, separator, payload = piece.partition(b"\r\n\r\n")
            if not separator:
                clean.append(self.body(piece, None))
                continue
            part_type = next(
                (
                    line.split(b":", 1)[1].strip().decode("latin-1")
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-type:")
                ),
                None,
            )
            trailer = b"\r\n" if payload.endswith(b"\r\n") else b""
            payload = payload[: len(payload) - len(trailer)]
            clean_head = self.text(head.decode("latin-1")).encode("latin-1")
            clean.append(clean_head + separator + self.body(payload, None, part_type) + trailer)
        return delimiter.join(clean)


def _same_length_mask(secret: str) -> str:
    tag = secret if REDACTION_TAG.fullmatch(secret) else redaction_tag(secret)
    return tag + "*" * (len(secret) - len(tag)) if len(secret) >= len(tag) else "*" * len(secret)


def _multipart_boundary(content_type: str | None) -> bytes | None:
    if not content_type or not content_type.lower().startswith("multipart/"):
        return None
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    return match.group(1).encode("latin-1") if match else None


def _tag_unless_tag(value: str) -> str:
    """A query value's tag; a tag stays as it is, also percent-encoded (as a client sends it back)."""
    return value if REDACTION_TAG.fullmatch(unquote(value)) else redaction_tag(value)


def _parse(body: bytes, message_type: type[Message] | None) -> Message | Any | None:
    """A protobuf message, a JSON value, or None (not JSON, or undecodable protobuf)."""
    if not body:
        return None
    if message_type is not None:
        message = message_type()
        try:
            message.ParseFromString(body)
        except DecodeError:
            return None
        return message
    try:
        return load_json(body)
    except ValueError:
        return None
