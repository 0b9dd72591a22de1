"""A recording read back as client calls: retries folded together, futures joined to their results.

Used by ``cassette to-scenario``. Interactions are taken in arrival order (``tinker.seq``). A call
is one request the client made on purpose; the attempts of a retried call (same method, path and
body bytes after a non-2xx answer: Stainless and holder retries, a 429'd ``/asample`` resubmitted
with the same ``seq_id``, protocol reference §3, §9.3) are folded into it, and so is the SDK's own
resubmission of a request whose future expired (a ``410`` poll, §6.3): the same method, path and body
but for a fresh ``seq_id``. Futures (§6) are joined
through ``request_id``: the call's ``result`` is the last ``retrieve_future`` answer for it (JSON, or
the readable view of a protobuf result, §7.2-7.3). Background traffic — config, sessions,
heartbeats, telemetry, polls (§4, §11) — is not a call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tinker_harness.contracts.catalogue import match_endpoint
from tinker_harness.contracts.traits import endpoints_with
from tinker_harness.mock_server.recording.bodies import json_or_none
from tinker_harness.mock_server.recording.cassette import Cassette, Interaction

__all__ = ["BACKGROUND", "Call", "Poll", "read_calls"]

BACKGROUND = endpoints_with("implicit")  # not one of the program's calls


@dataclass
class Poll:
    """One ``retrieve_future`` exchange: which future, and whether it was a ``try_again``."""

    interaction: Interaction
    request_id: str | None
    answer: Any  # parsed JSON answer, or None for protobuf/other bodies

    @property
    def try_again(self) -> bool:
        return isinstance(self.answer, dict) and self.answer.get("type") == "try_again"


@dataclass
class Call:
    endpoint: str
    attempts: list[Interaction]
    body: Any  # JSON body, or the readable view of a protobuf body
    params: dict[str, str]
    query: dict[str, str]
    answer: Any = None  # the last attempt's JSON answer
    result: Any = None  # the future's result (JSON or protobuf view), when it has one
    polls: list[Poll] = field(default_factory=list)
    expired: bool = False  # a poll of its latest future answered 410: the client resubmits it

    @property
    def status(self) -> int:
        return self.attempts[-1].response.status

    @property
    def statuses(self) -> list[int]:
        return [a.response.status for a in self.attempts]

    @property
    def future_error(self) -> dict[str, Any] | None:
        """``{"error", "category"}`` of a failed future (§6.2 item 4)."""
        result = self.result
        if isinstance(result, dict) and "error" in result and "category" in result:
            return result
        return None


def _body(interaction: Interaction) -> Any:
    view = interaction.tinker.request_view
    if isinstance(view, dict) and "message" in view:
        return view["message"]
    return json_or_none(interaction.request.body)


def _result(poll: Poll) -> Any:
    view = poll.interaction.tinker.response_view
    if isinstance(view, dict) and "message" in view:
        return view["message"]
    return poll.answer


def read_calls(cassette: Cassette) -> tuple[list[Call], list[Poll]]:
    """The calls of a recording in order, and every ``retrieve_future`` poll in arrival order."""
    calls: list[Call] = []
    polls: list[Poll] = []
    by_future: dict[str, Call] = {}
    for interaction in sorted(cassette.interactions, key=lambda i: i.tinker.seq):
        req = interaction.request
        matched = match_endpoint(req.method, interaction.tinker.path)
        if matched is None:
            continue
        endpoint, params = matched
        if endpoint.name == "retrieve_future":
            polled = json_or_none(req.body)
            request_id = polled.get("request_id") if isinstance(polled, dict) else None
            poll = Poll(interaction, request_id if isinstance(request_id, str) else None, _answer(interaction))
            polls.append(poll)
            owner = by_future.get(poll.request_id or "")
            if owner is not None:
                owner.polls.append(poll)
                owner.expired = interaction.response.status == 410
                if not poll.try_again and interaction.response.status < 300:
                    owner.result = _result(poll)
            continue
        if endpoint.name in BACKGROUND:
            continue
        previous = calls[-1] if calls else None
        if previous is not None and (_retry_of(previous, interaction) or _resubmit_of(previous, interaction)):
            previous.attempts.append(interaction)
            previous.expired = False
        else:
            query = dict(parse_qsl(req.query, keep_blank_values=True))
            previous = Call(endpoint.name, [interaction], _body(interaction), dict(params), query)
            calls.append(previous)
        previous.answer = _answer(interaction)
        if isinstance(previous.answer, dict) and isinstance(previous.answer.get("request_id"), str):
            by_future[previous.answer["request_id"]] = previous
    return calls, polls


def _answer(interaction: Interaction) -> Any:
    return json_or_none(interaction.response.body)


def _retry_of(call: Call, interaction: Interaction) -> bool:
    last = call.attempts[-1]
    return (
        last.response.status >= 300
        and last.request.method == interaction.request.method
        and last.tinker.path == interaction.tinker.path
        and last.request.body == interaction.request.body
    )


def _resubmit_of(call: Call, interaction: Interaction) -> bool:
    """The SDK sending again a request whose future expired (§6.3): only its ``seq_id`` is new."""
    last = call.attempts[-1]
    if not call.expired or last.request.method != interaction.request.method:
        return False
    before, after = _body(last), _body(interaction)
    if last.tinker.path != interaction.tinker.path or not isinstance(before, dict) or not isinstance(after, dict):
        return False
    return {k: v for k, v in before.items() if k != "seq_id"} == {k: v for k, v in after.items() if k != "seq_id"}
