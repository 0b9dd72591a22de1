"""Check one HTTP exchange against the contract (protocol reference §5, §6.2, §7, §0 items 5, 7, 8).

:func:`check_exchange` is what "zero contract violations" means: the request body validates against
the catalogue's strict request model (or parses as the expected protobuf message), the response
validates against what the SDK reads, and the invariants pydantic cannot express hold: metric keys
are ``name:reduction``, an ``asample`` future carries one sequence id per requested sample, a poll
that asked for protobuf never gets a JSON forward/backward or sample result, and error answers are
JSON with a ``detail``. Each violation is a sentence naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message
from pydantic import BaseModel, ValidationError

from tinker_harness.contracts import _futures as fut
from tinker_harness.contracts import _sampling as smp
from tinker_harness.contracts.catalogue import Endpoint
from tinker_harness.contracts.proto import tinker_public_pb2 as pb
from tinker_harness.contracts.proto_json import decode_proto
from tinker_harness.contracts.provenance import datum_provenance_problems
from tinker_harness.contracts.request_json import JsonTooDeepError, load_json, validate_request_json
from tinker_harness.contracts.tensor_codec import WireFormatError

__all__ = ["Exchange", "ExchangeCheck", "check_exchange", "metric_key_problems"]

PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class Exchange:
    """The parts of one request/response pair the contract speaks about."""

    endpoint: Endpoint
    request_content_type: str
    request_body: bytes
    status: int
    response_content_type: str
    response_body: bytes
    accept: str = ""
    # For retrieve_future: the endpoint that created the polled future.
    future_origin: Endpoint | None = None


def _problems(model: type[BaseModel], exc: ValidationError, where: str) -> list[str]:
    return [
        f"{where} breaks {model.__name__}: {'.'.join(map(str, e['loc'])) or '(body)'}: {e['msg']}"
        for e in exc.errors(include_url=False)
    ]


def _validate(model: type[BaseModel], body: Any, where: str) -> list[str]:
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return _problems(model, exc, where)
    return []


def _json(raw: bytes, where: str) -> tuple[Any, list[str]]:
    try:
        return load_json(raw), []
    except ValueError as exc:
        return None, [f"{where} is not valid JSON: {exc}"]


def metric_key_problems(metrics: dict[str, Any], where: str) -> list[str]:
    """Every forward/backward metric key needs exactly one ':' (§0 item 8)."""
    return [
        f"{where}: metric key {k!r} must be 'name:reduction' with exactly one ':'" for k in metrics if k.count(":") != 1
    ]


def _check_proto(message_type: type[Message], raw: bytes, where: str) -> list[str]:
    try:
        message = decode_proto(message_type, raw)
    except WireFormatError as exc:
        return [f"{where}: {exc}"]
    if isinstance(message, pb.ForwardBackwardOutput):
        return metric_key_problems(dict(message.metrics), where)
    if isinstance(message, pb.ForwardBackwardRequest):
        return [p for i, d in enumerate(message.data) for p in datum_provenance_problems(d, f"{where}: data[{i}]")]
    return []


def _check_request(ex: Exchange) -> list[str]:
    ep = ex.endpoint
    if ep.request_encoding == "none":
        return []
    if ep.request_encoding == "protobuf" and PROTOBUF in ex.request_content_type and ep.proto_request is not None:
        return _check_proto(ep.proto_request, ex.request_body, "request body")
    if ep.request is None:
        return []
    try:
        validate_request_json(ep.request, ex.request_body)
    except JsonTooDeepError as exc:
        return [f"request body is not valid JSON: {exc}"]
    except ValidationError as exc:
        _, not_json = _json(ex.request_body, "request body")
        return not_json or _problems(ep.request, exc, "request body")
    return []


def _check_future_poll(ex: Exchange, body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["retrieve_future answer must be a JSON object"]
    if body.get("type") == "try_again":
        return _validate(fut.TryAgainResponse, body, "try_again answer")
    if body.get("status") == "complete_metadata":
        return _validate(fut.CompleteMetadataResponse, body, "complete_metadata answer")
    if "error" in body:
        return _validate(fut.RequestFailedResponse, body, "failed-request answer")
    origin = ex.future_origin
    if origin is None:
        return []
    if origin.proto_result is not None and PROTOBUF in ex.accept and "application/json" not in ex.accept:
        return [f"{origin.name} result sent as JSON to a poll that accepts only protobuf (§0 item 5)"]
    problems = _validate(origin.future_result, body, f"{origin.name} result") if origin.future_result else []
    if isinstance(body.get("metrics"), dict) and origin.proto_result is pb.ForwardBackwardOutput:
        problems += metric_key_problems(body["metrics"], f"{origin.name} result")
    return problems


def _check_response(ex: Exchange) -> list[str]:
    ep = ex.endpoint
    where = "response body"
    if ex.status >= 500:
        return [f"server answered {ex.status}"]
    if ex.status >= 400 or (300 <= ex.status < 400):
        if ex.status >= 400:
            body, problems = _json(ex.response_body, "error body")
            if problems:
                return problems
            if not isinstance(body, dict) or not isinstance(body.get("detail"), str):
                return ["error body must be a JSON object with a string 'detail'"]
        return []
    if PROTOBUF in ex.response_content_type:
        origin = ex.future_origin if ep.name == "retrieve_future" else None
        if origin is None or origin.proto_result is None:
            return [f"{where}: protobuf answer where JSON was expected"]
        if PROTOBUF not in ex.accept:
            return [f"{where}: protobuf {origin.proto_result.__name__} sent to a poll that did not accept it"]
        return _check_proto(origin.proto_result, ex.response_body, where)
    body, problems = _json(ex.response_body, where)
    if problems:
        return problems
    if ep.name == "retrieve_future":
        return _check_future_poll(ex, body)
    if ep.response is None:
        return []
    problems = _validate(ep.response, body, where)
    if not problems and ep.name == "asample":
        problems += _check_sample_ids(ex, body)
    return problems


def _check_sample_ids(ex: Exchange, body: dict[str, Any]) -> list[str]:
    request, bad = _json(ex.request_body, "request body")
    if bad or not isinstance(request, dict):
        return []
    try:
        wanted = smp.SampleRequest.model_validate(request).num_samples
    except ValidationError:
        return []
    ids = body.get("sample_sequence_ids") or []
    if len(ids) != wanted:
        return [f"asample future carries {len(ids)} sample_sequence_ids for num_samples={wanted} (§0 item 7)"]
    return []


@dataclass(frozen=True)
class ExchangeCheck:
    """Violations by side: the client's request, and the server's response."""

    request: tuple[str, ...]
    response: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.request and not self.response


def check_exchange(ex: Exchange) -> ExchangeCheck:
    """All contract violations of one exchange, split into request and response sides."""
    return ExchangeCheck(tuple(_check_request(ex)), tuple(_check_response(ex)))
