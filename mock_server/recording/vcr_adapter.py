"""In-process recording and playback for Python clients, with vcrpy.

``use_cassette(path, record_mode)`` is ``vcr.use_cassette`` configured for Tinker:

* the cassette file *is* this project's format (vcrpy's YAML plus annotations): a persister sends
  every recorded exchange through :class:`~mock_server.recording.prepare.Preparer`, so it is
  scrubbed before it touches disk, and reads files written by the recording proxy as well;
* requests match on method, Tinker path, query and normalised body
  (:mod:`mock_server.recording.normalise`), never on host or headers, so the client may use any
  base URL and any API key when replaying;
* playback goes through the replay server's matcher (:mod:`mock_server.recording.matcher`): ids
  the client makes up (session, model, request and sampler ids) are bound to the recorded ones and
  renamed back in JSON answers, sequence numbers (``seq_id``, ``model_seq_id``,
  ``sampling_session_seq_id``) are bound by offset per scope, idempotency keys are never matched,
  and identical requests get the recorded answers in the recorded order; what it cannot match
  falls through to vcrpy (recorded in the recording modes, an error with ``record_mode="none"``);
* the SDK's default pyqwest transport is invisible to vcrpy (protocol reference §1), so the
  ``/api/v1/client/config`` answer the client sees is rewritten to ``use_pyqwest_transport: false``
  (the cassette keeps the upstream's answer as it was), and a request a client created earlier
  still sends through pyqwest is carried by httpx's transport instead — nothing bypasses the cassette;
* background chatter sent more often than recorded (heartbeats, telemetry, config refreshes) gets
  the last recorded answer again; anything else unmatched raises vcrpy's
  ``CannotOverwriteExistingCassetteException`` with its near-miss report. With
  ``record_mode="none"`` nothing ever reaches the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import httpx

from tinker_harness.mock_server.recording.bodies import endpoint_of
from tinker_harness.mock_server.recording.cassette import (
    CASSETTE_FORMAT,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)
from tinker_harness.mock_server.recording.cassette import api_path as _api_path
from tinker_harness.mock_server.recording.cassette_io import read_cassette, write_cassette
from tinker_harness.mock_server.recording.matcher import REPEATABLE, ReplayMatcher
from tinker_harness.mock_server.recording.modes import RecordMode
from tinker_harness.mock_server.recording.normalise import RequestKey, request_key
from tinker_harness.mock_server.recording.prepare import Preparer, new_annotation
from tinker_harness.mock_server.recording.remap import Bindings, Unification
from tinker_harness.mock_server.recording.replay_app import recorded_answer
from tinker_harness.mock_server.recording.scrub import Scrubber, ScrubRules

__all__ = ["InProcessCassette", "use_cassette"]

CLIENT_CONFIG_PATH = "/api/v1/client/config"
MATCH_ON = ("method", "tinker_path", "tinker_query", "tinker_body")


@dataclass
class InProcessCassette:
    """What a ``use_cassette`` block yields: the file, the mode and vcrpy's live cassette."""

    path: Path
    record_mode: RecordMode
    vcr_cassette: Any
    # URLs of requests a pyqwest-transport client sent, carried by httpx instead (any client in the process).
    pyqwest_redirected: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)  # chatter answered again from its last recording
    replayer: ReplayMatcher | None = None  # playback with id remapping, over the cassette the file held
    positions: dict[int, int] = field(default_factory=dict)  # id(recorded interaction) -> vcrpy index

    @property
    def play_count(self) -> int:
        return int(self.vcr_cassette.play_count)

    @property
    def all_played(self) -> bool:
        return bool(self.vcr_cassette.all_played)


class _Keys:
    """Matching keys of vcrpy requests, cached by content (vcrpy compares each pair many times)."""

    def __init__(self, rules: ScrubRules) -> None:
        self.rules = rules
        self._scrubber: Scrubber | None = None
        self._cache: dict[tuple[str, str, str | None, str | None, bytes], RequestKey] = {}

    def extend(self, rules: ScrubRules) -> None:
        self.rules = ScrubRules(self.rules.fields | rules.fields, self.rules.headers | rules.headers)
        self._scrubber, self._cache = None, {}

    def of(self, request: Any) -> RequestKey:
        body = request.body
        body = body.encode() if isinstance(body, str) else bytes(body or b"")
        headers = request.headers
        cache_key = (request.method, request.uri, headers.get("content-type"), headers.get("content-encoding"), body)
        key = self._cache.get(cache_key)
        if key is None:
            self._scrubber = self._scrubber or Scrubber(self.rules)
            key = request_key(*cache_key[:4], body, self._scrubber)
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[cache_key] = key
        return key

    def matchers(self) -> dict[str, Any]:
        def tinker_path(r1: Any, r2: Any) -> None:
            if self.of(r1).path != self.of(r2).path:
                raise AssertionError(f"{self.of(r1).path} != {self.of(r2).path}")

        def tinker_query(r1: Any, r2: Any) -> None:
            if self.of(r1).query != self.of(r2).query:
                raise AssertionError(f"{self.of(r1).query} != {self.of(r2).query}")

        def tinker_body(r1: Any, r2: Any) -> None:
            live, recorded = self.of(r1), self.of(r2)
            if live.body != recorded.body:
                trial = Unification(Bindings(), remap=False)
                trial.value("$.body", recorded.body, live.body)
                raise AssertionError("\n".join(trial.differences) or "bodies differ")

        return {"tinker_path": tinker_path, "tinker_query": tinker_query, "tinker_body": tinker_body}


class _Persister:
    """vcrpy persister reading and writing this project's cassette files."""

    def __init__(self, rules: ScrubRules, keys: _Keys) -> None:
        self.rules = rules
        self.keys = keys
        self.loaded: Cassette | None = None  # the cassette the file held when the block started

    def load_cassette(self, cassette_path: str, serializer: Any) -> tuple[list[Any], list[dict[str, Any]]]:
        from vcr.persisters.filesystem import CassetteNotFoundError  # type: ignore[import-untyped]
        from vcr.request import Request as VcrRequest  # type: ignore[import-untyped]

        path = Path(cassette_path)
        if not path.is_file() or not path.read_bytes().strip():
            raise CassetteNotFoundError()
        cassette = read_cassette(path)  # a malformed file raises CassetteError naming file:line
        self.loaded = cassette
        header = cassette.header
        self.keys.extend(ScrubRules.of(header.get("scrubbed_fields") or (), header.get("scrubbed_headers") or ()))
        requests = [
            VcrRequest(i.request.method, i.request.uri, i.request.body, dict(i.request.headers))
            for i in cassette.interactions
        ]
        responses = [
            {
                "status": {"code": i.response.status, "message": i.response.reason},
                "headers": dict(i.response.headers),
                "body": {"string": i.response.body},
            }
            for i in cassette.interactions
        ]
        return requests, responses

    def save_cassette(self, cassette_path: str, cassette_dict: dict[str, Any], serializer: Any) -> None:
        preparer = Preparer(self.rules)
        interactions = [
            preparer.prepare(_raw(index, request, response))
            for index, (request, response) in enumerate(
                zip(cassette_dict["requests"], cassette_dict["responses"], strict=True)
            )
        ]
        header = {
            "format": CASSETTE_FORMAT,
            "recorder": "vcrpy",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "scrubbed_fields": sorted(self.rules.fields),
            "scrubbed_headers": sorted(self.rules.headers),
        }
        write_cassette(Path(cassette_path), Cassette(interactions, header, cassette_path))


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _raw(index: int, request: Any, response: dict[str, Any]) -> Interaction:
    headers = {str(k): [str(v)] for k, v in request.headers.items()}
    resp_headers = {
        str(k): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in response["headers"].items()
    }
    status = response["status"]
    return Interaction(
        RecordedRequest(request.method, request.uri, headers, _bytes(request.body)),
        RecordedResponse(
            int(status["code"]), str(status.get("message") or ""), resp_headers, _bytes(response["body"]["string"])
        ),
        new_annotation(index, request.uri),
    )


def _forced_httpx(request: httpx.Request, response: httpx.Response, content: bytes) -> httpx.Response:
    """The client/config answer with ``use_pyqwest_transport: false`` (protocol reference §1, §16 item 1)."""
    try:
        config = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response
    if not isinstance(config, dict):
        return response
    config["use_pyqwest_transport"] = False
    headers = [
        (k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-length", "content-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=json.dumps(config).encode(),
        request=request,
        extensions=response.extensions,
    )


def _needs_rewrite(request: httpx.Request, response: httpx.Response) -> bool:
    return _api_path(str(request.url)) == CLIENT_CONFIG_PATH and 200 <= response.status_code < 300


class _TransportGuard:
    """Wraps vcrpy's patched httpx transports; routes pyqwest through httpx."""

    def __init__(self, handle: InProcessCassette, force_httpx: bool) -> None:
        self.handle = handle
        self.force_httpx = force_httpx

    def _replayed(self, request: httpx.Request, body: bytes) -> httpx.Response | None:
        """The recorded answer the replay matcher picks under the id bindings, or None (vcrpy decides)."""
        matcher = self.handle.replayer
        if matcher is None:
            return None
        headers = request.headers
        key = request_key(
            request.method,
            str(request.url),
            headers.get("content-type"),
            headers.get("content-encoding"),
            body,
            matcher.scrubber,
        )
        outcome = matcher.match(key, headers.get("x-idempotency-key"))
        if outcome.recorded is None:
            return None
        if outcome.kind == "served":
            self.handle.vcr_cassette.play_counts[self.handle.positions[id(outcome.recorded.interaction)]] += 1
        else:
            self.handle.repeated.append(outcome.recorded.key.endpoint or outcome.recorded.key.path)
        status, answer_headers, content = recorded_answer(matcher, outcome.recorded)
        return httpx.Response(status, headers=answer_headers, content=content, request=request)

    def _repeat(self, request: httpx.Request, body: bytes, error: Exception) -> httpx.Response:
        from vcr.request import Request as VcrRequest

        endpoint = endpoint_of(request.method, _api_path(str(request.url)))
        if endpoint is None or endpoint.name not in REPEATABLE:
            raise error
        vcr_request = VcrRequest(request.method, str(request.url), body, dict(request.headers))
        try:
            recorded = self.handle.vcr_cassette.responses_of(vcr_request)[-1]
        except KeyError:
            raise error from None
        self.handle.repeated.append(endpoint.name)
        headers = [(k, v) for k, values in recorded["headers"].items() for v in values]
        return httpx.Response(
            recorded["status"]["code"], headers=headers, content=_bytes(recorded["body"]["string"]), request=request
        )

    @contextmanager
    def installed(self) -> Iterator[None]:
        from vcr.errors import CannotOverwriteExistingCassetteException  # type: ignore[import-untyped]

        vcr_async = httpx.AsyncHTTPTransport.handle_async_request  # vcrpy's stub while the cassette is in use
        vcr_sync = httpx.HTTPTransport.handle_request
        guard = self

        async def handle_async(transport: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
            body = await request.aread()
            response = guard._replayed(request, body)
            if response is None:
                try:
                    response = await vcr_async(transport, request)
                except CannotOverwriteExistingCassetteException as error:
                    response = guard._repeat(request, body, error)
            if guard.force_httpx and _needs_rewrite(request, response):
                response = _forced_httpx(request, response, await response.aread())
            return response

        def handle_sync(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            body = request.read()
            response = guard._replayed(request, body)
            if response is None:
                try:
                    response = vcr_sync(transport, request)
                except CannotOverwriteExistingCassetteException as error:
                    response = guard._repeat(request, body, error)
            if guard.force_httpx and _needs_rewrite(request, response):
                response = _forced_httpx(request, response, response.read())
            return response

        async def via_httpx(pyqwest_transport: Any, request: httpx.Request) -> httpx.Response:
            guard.handle.pyqwest_redirected.append(str(request.url))
            async with httpx.AsyncHTTPTransport() as transport:  # vcrpy reads the whole body before returning
                return await transport.handle_async_request(request)

        with ExitStack() as stack:
            stack.enter_context(mock.patch.object(httpx.AsyncHTTPTransport, "handle_async_request", handle_async))
            stack.enter_context(mock.patch.object(httpx.HTTPTransport, "handle_request", handle_sync))
            try:
                from pyqwest.httpx import AsyncPyqwestTransport
            except ImportError:  # pragma: no cover - the SDK depends on pyqwest
                pass
            else:
                stack.enter_context(mock.patch.object(AsyncPyqwestTransport, "handle_async_request", via_httpx))
            yield


@contextmanager
def use_cassette(
    path: str | Path,
    record_mode: str | RecordMode = RecordMode.ONCE,
    *,
    scrub_fields: tuple[str, ...] | list[str] = (),
    scrub_headers: tuple[str, ...] | list[str] = (),
    force_httpx_transport: bool = True,
) -> Iterator[InProcessCassette]:
    """Record or replay the Tinker traffic of the block (see the module docstring)."""
    import vcr  # type: ignore[import-untyped]

    mode = RecordMode.parse(record_mode)
    rules = ScrubRules.of(scrub_fields, scrub_headers)
    keys = _Keys(rules)
    recorder = vcr.VCR(decode_compressed_response=True, record_on_exception=False)
    for name, function in keys.matchers().items():
        recorder.register_matcher(name, function)
    persister = _Persister(rules, keys)
    recorder.register_persister(persister)
    with recorder.use_cassette(str(path), record_mode=mode.value, match_on=MATCH_ON) as vcr_cassette:
        handle = InProcessCassette(Path(path), mode, vcr_cassette)
        if persister.loaded is not None and mode is not RecordMode.ALL:
            handle.replayer = ReplayMatcher(persister.loaded)
            handle.positions = {id(i): n for n, i in enumerate(persister.loaded.interactions)}
        with _TransportGuard(handle, force_httpx_transport).installed():
            yield handle
