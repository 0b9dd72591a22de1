"""From a raw exchange to a storable interaction: decoded, scrubbed, annotated.

Every recorder (the proxy, the vcrpy persister) hands each raw exchange, in order, to one
:class:`Preparer`, the only way into a cassette file. It removes ``Content-Encoding`` from both
bodies, learns the secret values of the exchange (secret headers, secret and configured fields),
scrubs headers, URL and bodies (:mod:`mock_server.recording.scrub`), adds readable JSON views of
protobuf bodies (protocol reference §7) and names the catalogue endpoint.
"""

from __future__ import annotations

from dataclasses import replace

from google.protobuf.message import Message

from tinker_harness.contracts.catalogue import Endpoint
from tinker_harness.mock_server.recording.bodies import (
    decode_content,
    endpoint_of,
    is_protobuf,
    json_or_none,
    proto_view,
    result_proto_for,
)
from tinker_harness.mock_server.recording.cassette import (
    Annotation,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    api_path,
)
from tinker_harness.mock_server.recording.cassette import header as header_of
from tinker_harness.mock_server.recording.scrub import Scrubber, ScrubRules

__all__ = ["Preparer", "new_annotation", "set_header"]


def set_header(headers: dict[str, list[str]], name: str, value: str | None) -> dict[str, list[str]]:
    """A copy of ``headers`` with ``name`` (any case) replaced by ``value``, or removed when None."""
    out = {k: list(v) for k, v in headers.items() if k.lower() != name.lower()}
    if value is not None:
        out[name.lower()] = [value]
    return out


def _decoded(headers: dict[str, list[str]], body: bytes) -> tuple[dict[str, list[str]], bytes, str | None]:
    """Headers and body without Content-Encoding, and the encoding that was removed."""
    encoding = next((v[0] for k, v in headers.items() if k.lower() == "content-encoding" and v), None)
    if encoding is None or encoding.strip().lower() == "identity":
        return headers, body, None
    plain = decode_content(body, encoding)
    if plain is None:  # unknown or corrupt: keep the bytes as they came (cassette check still scans them)
        return headers, body, None
    headers = set_header(headers, "content-encoding", None)
    if any(k.lower() == "content-length" for k in headers):
        headers = set_header(headers, "content-length", str(len(plain)))
    return headers, plain, encoding.strip().lower()


class Preparer:
    """Stateful across one recording: secret values learned so far and the origin of each future."""

    def __init__(self, rules: ScrubRules | None = None) -> None:
        self.scrubber = Scrubber(rules)
        self._origins: dict[str, Endpoint] = {}

    def prepare(self, raw: Interaction) -> Interaction:
        req, resp = raw.request, raw.response
        req_headers, req_body, req_encoding = _decoded(req.headers, req.body)
        resp_headers, resp_body, resp_encoding = _decoded(resp.headers, resp.body)
        path = api_path(req.uri)
        endpoint = endpoint_of(req.method, path)
        req_type, resp_type = self._proto_types(endpoint, req, req_headers, req_body, resp_headers)

        self.scrubber.learn_headers(req_headers)
        self.scrubber.learn_headers(resp_headers)
        self.scrubber.learn_body(req_body, req_type)
        self.scrubber.learn_body(resp_body, resp_type)
        self._remember_future(endpoint, resp_body)

        clean_req_body = self.scrubber.body(req_body, req_type, header_of(req_headers, "content-type"))
        clean_resp_body = self.scrubber.body(resp_body, resp_type, header_of(resp_headers, "content-type"))
        clean_req_headers = self.scrubber.headers(req_headers)
        clean_resp_headers = self.scrubber.headers(resp_headers)
        if clean_resp_body != resp_body and any(k.lower() == "content-length" for k in clean_resp_headers):
            clean_resp_headers = set_header(clean_resp_headers, "content-length", str(len(clean_resp_body)))
        if clean_req_body != req_body and any(k.lower() == "content-length" for k in clean_req_headers):
            clean_req_headers = set_header(clean_req_headers, "content-length", str(len(clean_req_body)))

        tinker = replace(
            raw.tinker,
            path=self.scrubber.text(path),
            endpoint=endpoint.name if endpoint else None,
            request_view=proto_view(req_type, clean_req_body) if req_type and clean_req_body else None,
            response_view=proto_view(resp_type, clean_resp_body) if resp_type and clean_resp_body else None,
            request_encoding=req_encoding,
            response_encoding=resp_encoding,
            notes=self.scrubber.json_value(raw.tinker.notes),
        )
        return Interaction(
            RecordedRequest(req.method.upper(), self.scrubber.text(req.uri), clean_req_headers, clean_req_body),
            RecordedResponse(resp.status, resp.reason, clean_resp_headers, clean_resp_body),
            tinker,
        )

    def _proto_types(
        self,
        endpoint: Endpoint | None,
        req: RecordedRequest,
        req_headers: dict[str, list[str]],
        req_body: bytes,
        resp_headers: dict[str, list[str]],
    ) -> tuple[type[Message] | None, type[Message] | None]:
        content_type = next((v[0] for k, v in req_headers.items() if k.lower() == "content-type" and v), None)
        req_type = endpoint.proto_request if endpoint is not None and is_protobuf(content_type) else None
        resp_ct = next((v[0] for k, v in resp_headers.items() if k.lower() == "content-type" and v), None)
        if not is_protobuf(resp_ct) or endpoint is None:
            return req_type, None
        if endpoint.name != "retrieve_future":
            return req_type, endpoint.proto_result
        polled = json_or_none(req_body)
        request_id = polled.get("request_id") if isinstance(polled, dict) else None
        origin = self._origins.get(request_id) if isinstance(request_id, str) else None
        return req_type, result_proto_for(req.header("x-tinker-request-type"), origin)

    def _remember_future(self, endpoint: Endpoint | None, resp_body: bytes) -> None:
        if endpoint is None or not endpoint.returns_future:
            return
        answer = json_or_none(resp_body)
        if isinstance(answer, dict) and isinstance(answer.get("request_id"), str):
            self._origins[answer["request_id"]] = endpoint


def new_annotation(seq: int, uri: str, started: float | None = None, duration: float | None = None) -> Annotation:
    """The annotation a recorder fills in; :meth:`Preparer.prepare` completes it."""
    return Annotation(seq=seq, path=api_path(uri), started=started, duration=duration)
