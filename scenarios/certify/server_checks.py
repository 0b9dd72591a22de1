"""Server-side checks any Tinker-compatible server should pass, whatever SDK generation it targets.

Each check states what the protocol expects and where, then judges probes of its own
(:mod:`.probes`) and, where the question is about traffic, every exchange the SDK flows and
scenarios made through the journalling proxy:

* ``bad-input`` — bad input gets a JSON 4xx naming the problem, never a 5xx; a 400 carries a body
  and a ``Content-Length`` (the SDK takes an empty 400 for a Cloudflare reject and retries, §1.1);
* ``try-again-json`` — ``try_again`` is JSON even when the poll accepts protobuf (§6.2: the SDK
  decodes any ``application/x-protobuf`` 2xx as the result, so a protobuf try_again breaks it);
* ``long-poll-deadline`` — every ``retrieve_future`` is answered before the SDK's 45 s read
  timeout (§6.1, §6.3), also when the result is not ready (the probe polls a future behind a
  ``seq_id`` gap, §8.2);
* ``zstd-body`` — a ``Content-Encoding: zstd`` protobuf ``/forward_backward`` is accepted (§2.1, §7.1);
* ``oversized-body`` — a body larger than the server takes gets 413 without the server reading it
  all (RFC 9110 §15.5.14), instead of memory exhaustion or a hung connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.scenarios.certify.probes import Answer, Prober

__all__ = ["CHECKS", "CheckResult", "SDK_READ_TIMEOUT", "run_server_checks"]

SDK_READ_TIMEOUT: Final = 45.0  # seconds: the SDK's read timeout of retrieve_future (§6.1)
CheckStatus = Literal["pass", "fail", "not-observed"]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    expected: str
    protocol: tuple[str, ...]


CHECKS: Final[dict[str, CheckSpec]] = {
    spec.id: spec
    for spec in (
        CheckSpec("bad-input", "Bad input gets a JSON 4xx, never a 5xx",
                  "a 4xx answer with a JSON body naming the problem; a 400 with a non-empty body and a Content-Length",
                  ("§15.1", "§15.3", "§1.1")),
        CheckSpec("try-again-json", "try_again stays JSON under a protobuf Accept",
                  "a pending future's poll answers 200 application/json {\"type\": \"try_again\", ...} whatever "
                  "the Accept header; only a finished result may be protobuf", ("§6.2", "§7")),
        CheckSpec("long-poll-deadline", "Long polls answer before the SDK's read timeout",
                  f"retrieve_future answered within {SDK_READ_TIMEOUT:g} s (the SDK's read timeout), with the "
                  "result or try_again; never held longer", ("§6.1", "§6.3")),
        CheckSpec("zstd-body", "zstd-compressed request bodies are accepted",
                  "POST /api/v1/forward_backward with Content-Type application/x-protobuf and "
                  "Content-Encoding: zstd is decompressed and queued like the plain body", ("§2.1", "§7.1")),
        CheckSpec("oversized-body", "Oversized bodies get 413",
                  "413 Payload Too Large as soon as the declared body exceeds the server's limit, without reading "
                  "it all (RFC 9110 §15.5.14)", ("§1",)),
    )
}  # fmt: skip


@dataclass
class CheckResult:
    id: str
    status: CheckStatus
    summary: str
    evidence: list[str] = field(default_factory=list)  # one line per request: what was sent, what came back

    @property
    def spec(self) -> CheckSpec:
        return CHECKS[self.id]


# --- bad input ------------------------------------------------------------------------------------


def _bad_inputs(prober: Prober, session_id: str | None, model_id: str | None) -> list[tuple[Answer, bool]]:
    """(answer, must be 4xx): malformed bodies must be refused; unknown ids may also fail their future."""
    sid = session_id or "certify-no-such-session"
    json_header = {"Content-Type": "application/json"}
    cases: list[tuple[Answer, bool]] = [
        (prober.call("POST", "/api/v1/create_session", "not JSON", content=b"{not json", headers=json_header), True),
        (prober.call("POST", "/api/v1/create_session", "a JSON array", json_body=[1, 2]), True),
        (prober.call("POST", "/api/v1/create_model", "empty body", content=b"", headers=json_header), True),
        (prober.call("POST", "/api/v1/create_model", "wrong types", json_body={
            "session_id": sid, "model_seq_id": "first", "base_model": 12, "lora_config": {"rank": "eight"},
            "type": "create_model"}), True),
        (prober.call("POST", "/api/v1/asample", "missing fields", json_body={"type": "sample"}), True),
        (prober.call("POST", "/api/v1/optim_step", "unknown model_id", json_body={
            "model_id": "certify-no-such-model", "seq_id": 1, "adam_params": {"learning_rate": 0.001},
            "type": "optim_step"}), False),
        (prober.call("POST", "/api/v1/retrieve_future", "unknown request_id",
                     json_body={"request_id": "certify-no-such-request", "allow_metadata_only": False}), False),
        (prober.call("GET", "/api/v1/training_runs/certify-no-such-run", "unknown training run"), False),
    ]  # fmt: skip
    if model_id is not None:
        body = {"model_id": model_id, "seq_id": 1, "adam_params": {"learning_rate": "fast"}, "type": "optim_step"}
        cases.append((prober.call("POST", "/api/v1/optim_step", "learning_rate not a number", json_body=body), True))
    return cases


def _bad_input_problem(answer: Answer, must_refuse: bool) -> str | None:
    if answer.status == 0:
        return f"no answer: {answer.error}"
    if answer.status >= 500:
        return f"{answer.status}: a server error for the client's mistake (the SDK retries 5xx as transient)"
    if answer.status < 400:
        return "accepted: malformed input must be refused with a 4xx" if must_refuse else None
    if not answer.is_json:
        return f"{answer.status} without a JSON body"
    if answer.status == 400 and (not answer.body or answer.content_length in (None, "0")):
        return "400 without a body and Content-Length: the SDK takes it for a Cloudflare reject (§1.1)"
    return None


def check_bad_input(prober: Prober, session_id: str | None, model_id: str | None) -> CheckResult:
    evidence, problems = [], []
    for answer, must_refuse in _bad_inputs(prober, session_id, model_id):
        problem = _bad_input_problem(answer, must_refuse)
        evidence.append(("FAIL " if problem else "ok   ") + answer.describe() + (f" — {problem}" if problem else ""))
        if problem:
            problems.append(f"{answer.sent}: {problem}")
    if problems:
        return CheckResult("bad-input", "fail", "; ".join(problems), evidence)
    return CheckResult(
        "bad-input", "pass", f"{len(evidence)} bad requests, each refused with a JSON 4xx or queued", evidence
    )


# --- futures: try_again and the long poll ------------------------------------------------------------


def _held_poll(prober: Prober, model_id: str | None, read_timeout: float) -> tuple[list[Answer], Answer | None]:
    """Submit a forward_backward behind a seq_id gap (it cannot run yet, §8.2) and poll it once with a
    protobuf Accept: the server must hold the poll and answer before the read timeout."""
    if model_id is None:
        return [], None
    submitted = prober.forward_backward_proto(model_id, seq_id=3, compress=False)
    found = submitted.json()
    request_id = found.get("request_id") if isinstance(found, dict) and submitted.status < 300 else None
    if not request_id:
        return [submitted], None
    poll = prober.poll(str(request_id), "ForwardBackward", accept="application/x-protobuf",
                       timeout=read_timeout + 15)  # fmt: skip
    return [submitted], poll


def _is_try_again(entry: JournalEntry) -> bool:
    body = entry.response_body
    return isinstance(body, dict) and body.get("type") == "try_again"


def _looks_like_try_again(entry: JournalEntry) -> bool:
    """A protobuf-typed answer whose bytes are really a try_again (the journal could not decode it)."""
    body = entry.response_body
    if not isinstance(body, dict) or "protobuf" not in body:
        return False
    return "undecodable" in body or "try_again" in str(body.get("message", ""))


def check_try_again(entries: Iterable[JournalEntry], held: Answer | None) -> CheckResult:
    seen, bad = [], []
    for entry in entries:
        if entry.endpoint != "retrieve_future" or "protobuf" not in entry.request_headers.get("accept", ""):
            continue
        content_type = entry.response_headers.get("content-type", "")
        if _is_try_again(entry):
            seen.append(entry)
            if "json" not in content_type:
                bad.append(f"{entry.describe()} [{content_type}]: try_again not labelled JSON")
        elif "protobuf" in content_type and _looks_like_try_again(entry):
            seen.append(entry)
            bad.append(f"{entry.describe()} [{content_type}]: a pending answer sent as protobuf: {entry.response_body}")
    evidence = [f"{e.describe()} [{e.response_headers.get('content-type', '')}]" for e in seen[:10]]
    count = len(seen)
    if held is not None:
        evidence.append("probe: " + held.describe())
        held_json = held.json()
        if held.status == 200 and isinstance(held_json, dict) and held_json.get("type") == "try_again":
            count += 1
            if "json" not in held.content_type:
                bad.append(f"probe: try_again answered as {held.content_type}")
        elif held.status == 200 and "protobuf" in held.content_type and b"try_again" in held.body:
            count += 1
            bad.append("probe: a pending answer sent as protobuf")
    if bad:
        return CheckResult("try-again-json", "fail", "; ".join(bad[:3]), evidence + bad[:10])
    if not count:
        return CheckResult("try-again-json", "not-observed",
                           "no poll under a protobuf Accept was answered try_again (every result was ready "
                           "within the server's long poll)", evidence)  # fmt: skip
    return CheckResult(
        "try-again-json", "pass", f"{count} try_again answer(s) under a protobuf Accept, all JSON", evidence
    )


def check_long_poll(entries: Iterable[JournalEntry], held: Answer | None, read_timeout: float) -> CheckResult:
    polls = [e for e in entries if e.endpoint == "retrieve_future"]
    late = [e for e in polls if e.status == 0 or e.duration_ms / 1000.0 >= read_timeout]
    evidence = []
    for entry in late[:10]:
        waited = entry.notes.get("abandoned_after", entry.duration_ms / 1000.0)
        evidence.append(
            f"{entry.describe()} held {float(waited):.1f} s" + (" (the client gave up)" if entry.status == 0 else "")
        )
    longest = max((e.duration_ms / 1000.0 for e in polls), default=0.0)
    problems = [f"{len(late)} SDK poll(s) held for {read_timeout:g} s or more"] if late else []
    if held is not None:
        evidence.append(f"probe (a future behind a seq_id gap): {held.describe()} after {held.seconds:.1f} s")
        if held.status == 0 or held.seconds >= read_timeout:
            problems.append(f"the probe's poll was held {held.seconds:.1f} s (read timeout {read_timeout:g} s)")
    if problems:
        return CheckResult("long-poll-deadline", "fail", "; ".join(problems), evidence)
    if not polls and held is None:
        return CheckResult("long-poll-deadline", "not-observed", "no retrieve_future was made", evidence)
    held_text = f"; the held probe answered in {held.seconds:.1f} s" if held is not None else ""
    return CheckResult(
        "long-poll-deadline", "pass", f"{len(polls)} poll(s), the longest {longest:.1f} s{held_text}", evidence
    )


# --- zstd and oversized bodies ------------------------------------------------------------------------


def check_zstd(prober: Prober, model_id: str | None) -> CheckResult:
    if model_id is None:
        return CheckResult("zstd-body", "not-observed", "no model could be created to send a forward_backward to")
    compressed = prober.forward_backward_proto(model_id, seq_id=1, compress=True)
    evidence = [compressed.describe()]
    found = compressed.json()
    request_id = found.get("request_id") if isinstance(found, dict) and compressed.status < 300 else None
    if request_id:
        result, polls = prober.wait(str(request_id), "ForwardBackward")
        evidence += [p.describe() for p in polls[-2:]]
        if isinstance(result, dict) and "error" in result:
            return CheckResult("zstd-body", "fail", f"accepted, but the future failed: {result.get('error')}", evidence)
        return CheckResult(
            "zstd-body", "pass", "the zstd-compressed protobuf forward_backward was queued and ran", evidence
        )
    plain = prober.forward_backward_proto(model_id, seq_id=1, compress=False)
    evidence.append(plain.describe())
    if plain.status < 300:
        return CheckResult(
            "zstd-body",
            "fail",
            f"refused with {compressed.status} while the same body uncompressed was accepted",
            evidence,
        )
    return CheckResult("zstd-body", "fail",
                       f"refused with {compressed.status}; the uncompressed protobuf body was refused too "
                       f"({plain.status}): the server does not take protobuf forward_backward (SDK >= 0.30 sends it)",
                       evidence)  # fmt: skip


def check_oversized(prober: Prober, declared: int, wait: float = 20.0) -> CheckResult:
    answer = prober.oversized(declared, wait=wait)
    evidence = [answer.describe() + f" after {answer.seconds:.1f} s"]
    if answer.status == 413:
        kind = "a JSON" if answer.is_json else "a non-JSON"
        return CheckResult("oversized-body", "pass", f"413 with {kind} body after {answer.seconds:.1f} s", evidence)
    if answer.status == 0:
        return CheckResult("oversized-body", "fail", f"no 413: {answer.error}", evidence)
    return CheckResult("oversized-body", "fail", f"answered {answer.status} instead of 413", evidence)


# --- all of them -------------------------------------------------------------------------------------------


def run_server_checks(
    base_url: str,
    api_key: str,
    extra_headers: Mapping[str, str],
    base_model: str,
    entries: Callable[[], list[JournalEntry]],
    *,
    read_timeout: float = SDK_READ_TIMEOUT,
    oversized_bytes: int = 1 << 31,
    oversized_wait: float = 20.0,
) -> list[CheckResult]:
    """Probe ``base_url`` and judge ``entries()`` (every exchange of the flows and scenarios)."""
    with Prober(base_url, api_key, extra_headers) as prober:
        session_id, _ = prober.session()
        model_id = prober.model(session_id, base_model)[0] if session_id else None
        results = [check_bad_input(prober, session_id, model_id)]
        _, held = _held_poll(prober, model_id, read_timeout)
        seen = entries()
        results.append(check_try_again(seen, held))
        results.append(check_long_poll(seen, held, read_timeout))
        second_model = prober.model(session_id, base_model, model_seq_id=1)[0] if session_id else None
        results.append(check_zstd(prober, second_model))
        results.append(check_oversized(prober, oversized_bytes, oversized_wait))
    return results
