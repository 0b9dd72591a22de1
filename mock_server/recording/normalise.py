"""What a request is matched on: method, Tinker path, query and the normalised body.

Headers are never matched (they carry retry counts, timings and idempotency keys, protocol reference
§2.1). The body is compared as data, not bytes: protobuf bodies (``/forward_backward``, §7.1) as their
readable JSON view, JSON bodies parsed, both scrubbed exactly as the recorder scrubbed them (tags
are stable, so a secret the client sends compares equal to its tag in the cassette). Fields that
differ on every run are dropped or ordered:

* ``/api/v1/telemetry`` bodies are ignored whole (event ids, timestamps, ``process_uuid``, §11);
* ``create_session.tags`` is compared as a sorted list (the SDK builds it from a set, §4.2);
* ``retrieve_futures.retrieved_request_ids`` is compared sorted (§6.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tinker_harness.contracts.catalogue import match_endpoint
from tinker_harness.mock_server.recording.bodies import decode_content, is_protobuf, json_or_none, proto_view
from tinker_harness.mock_server.recording.cassette import Interaction, api_path
from tinker_harness.mock_server.recording.scrub import Scrubber

__all__ = ["IGNORED_BODIES", "RequestKey", "request_key", "recorded_key"]

IGNORED_BODIES = frozenset({"telemetry"})
_SORTED_LISTS = {"create_session": ("tags",), "retrieve_futures": ("retrieved_request_ids",)}


@dataclass(frozen=True)
class RequestKey:
    """A request as matching sees it."""

    method: str
    path: str
    endpoint: str | None
    params: tuple[tuple[str, str], ...]  # path parameters of the catalogue endpoint, in order
    query: tuple[tuple[str, str], ...]
    body: Any

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{self.method} {self.path}{'?' + query if query else ''}"


def _body_view(endpoint_name: str | None, proto: Any, content_type: str | None, body: bytes, scrubber: Scrubber) -> Any:
    if not body or endpoint_name in IGNORED_BODIES:
        return None
    if proto is not None and is_protobuf(content_type):
        clean = scrubber.body(body, proto)
        view = proto_view(proto, clean)
        return view.get("message", view)
    clean = scrubber.body(body, None)
    parsed = json_or_none(clean)
    if parsed is None:
        return {"text": clean.decode("utf-8", errors="replace")}
    if isinstance(parsed, dict) and endpoint_name in _SORTED_LISTS:
        for name in _SORTED_LISTS[endpoint_name]:
            if isinstance(parsed.get(name), list):
                parsed[name] = sorted(parsed[name], key=repr)
    return parsed


def request_key(
    method: str,
    uri: str,
    content_type: str | None,
    content_encoding: str | None,
    body: bytes,
    scrubber: Scrubber,
) -> RequestKey:
    """The matching key of a request as it arrives (body possibly compressed, secrets not yet scrubbed)."""
    method = method.upper()
    path = scrubber.text(api_path(uri))
    matched = match_endpoint(method, path)
    endpoint, params = matched if matched else (None, {})
    plain = decode_content(body, content_encoding)
    query = tuple(sorted(parse_qsl(scrubber.text(urlsplit(uri).query), keep_blank_values=True)))
    view = _body_view(
        endpoint.name if endpoint else None,
        endpoint.proto_request if endpoint else None,
        content_type,
        plain if plain is not None else body,
        scrubber,
    )
    return RequestKey(method, path, endpoint.name if endpoint else None, tuple(params.items()), query, view)


def recorded_key(interaction: Interaction, scrubber: Scrubber) -> RequestKey:
    """The matching key of a recorded request (stored decoded and scrubbed)."""
    req = interaction.request
    return request_key(req.method, req.uri, req.header("content-type"), None, req.body, scrubber)
