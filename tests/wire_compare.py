"""Comparing two journals of the same flow: endpoint order, request bodies and protocol headers, modulo ids.

Normalisation (:class:`mock_server.journal_normalise.JournalNormaliser`) removes what varies from run to run on
either side: UUIDs (numbered by first appearance), timestamps, redaction tags,
the reference client's version suffix, background heartbeats, the order in which a model's pipelined
submissions arrive (compared in ``seq_id`` order, :func:`submissions_in_seq_id_order`), and where a
pipelined future's polls fall among later submissions (:func:`polls_after_submission`).
The documented differences between the reference client and the official SDK are an explicit,
commented allow-list (:data:`ALLOWED`); each entry is a rule that rewrites or drops journal rows
before comparison, and :func:`compare` reports which rules fired so a stale entry is noticed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.mock_server.journal_normalise import JournalNormaliser

# Background traffic whose timing is not part of a flow (§4.3 heartbeats every 10 s).
BACKGROUND = {"session_heartbeat"}
# Headers whose values carry protocol meaning (§2.1, §7, §9.3); compared per request.
PROTOCOL_HEADERS = ("content-type", "accept", "x-tinker-request-type", "x-tinker-sampling-backpressure")
REFERENCE_SUFFIX = re.compile(r"\+tinker-harness-reference-client\.[0-9.]+$")


@dataclass(frozen=True)
class Row:
    method: str
    endpoint: str
    path: str
    body: str
    headers: tuple[tuple[str, str], ...]

    def line(self) -> str:
        return f"{self.method} {self.path} {dict(self.headers)} {self.body}"


Rule = Callable[[list[JournalEntry], str], tuple[list[JournalEntry], bool]]


def _drop_telemetry(entries: list[JournalEntry], side: str) -> tuple[list[JournalEntry], bool]:
    kept = [e for e in entries if e.endpoint != "telemetry"]
    return kept, len(kept) != len(entries)


def _drop_rest_bootstrap(entries: list[JournalEntry], side: str) -> tuple[list[JournalEntry], bool]:
    """Drop a client_config + client_dynamic_config pair that comes after the session exists."""
    names = [e.endpoint for e in entries]
    if "create_session" not in names:
        return entries, False
    start = names.index("create_session")
    for i in range(start, len(names) - 1):
        if names[i] == "client_config" and names[i + 1] == "client_dynamic_config":
            return entries[:i] + entries[i + 2 :], True
    return entries, False


# Documented differences: rule name -> (which side it applies to, why, the rule).
ALLOWED: dict[str, tuple[str, str, Rule]] = {
    # The SDK reports usage events to /api/v1/telemetry (§14); telemetry is optional and the
    # reference client sends none, so a porter is not misled into thinking it is required.
    "telemetry": ("sdk", "the reference client sends no telemetry (§14)", _drop_telemetry),
    # tinker.RestClient() is a holder of its own: it bootstraps with client/config and
    # client/dynamic_config (§4.1) again. The reference client's REST calls share its one session.
    "rest_holder_bootstrap": (
        "sdk",
        "a standalone SDK RestClient fetches the client config again",
        _drop_rest_bootstrap,
    ),
}


def polls_after_submission(entries: Sequence[JournalEntry]) -> list[JournalEntry]:
    """Each future's polls moved to follow its submission directly; the identity when every call was awaited.

    Both clients poll a future from a background task as soon as its submission is answered, so the
    polls of a pipelined future (§8.2) interleave with later submissions in an order neither controls.
    What the protocol fixes is kept: the order of the submissions (seq_id) and of each future's polls.
    """
    polls: dict[str, list[JournalEntry]] = {}
    for entry in entries:
        if entry.endpoint == "retrieve_future" and entry.future_request_id is not None:
            polls.setdefault(entry.future_request_id, []).append(entry)
    submitted = {
        e.future_request_id for e in entries if e.endpoint != "retrieve_future" and e.future_request_id in polls
    }
    ordered: list[JournalEntry] = []
    for entry in entries:
        if entry.endpoint == "retrieve_future" and entry.future_request_id in submitted:
            continue
        ordered.append(entry)
        if entry.endpoint != "retrieve_future" and entry.future_request_id in submitted:
            ordered += polls[entry.future_request_id]
    return ordered


def submissions_in_seq_id_order(entries: Sequence[JournalEntry]) -> list[JournalEntry]:
    """A model's submissions reordered by ``seq_id`` among the places they hold; others stay put.

    A client numbers pipelined calls when they are made, but the official SDK may send them in
    another order: its ``TrainingClient._take_turn`` lets call n+1 start once call n has *entered*
    its turn, so a ``save_weights_for_sampler`` can reach the wire after the ``forward_backward``
    called after it. The server executes by ``seq_id`` (§7.2, §8.2), so what is compared is the
    numbering, which is the call order, not the arrival order.
    """
    ordered = list(entries)
    places: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        body = entry.request_body
        if (
            entry.endpoint != "retrieve_future"
            and isinstance(body, dict)
            and isinstance(body.get("model_id"), str)
            and isinstance(body.get("seq_id"), int)
        ):
            places.setdefault(body["model_id"], []).append(index)
    for indices in places.values():
        by_seq_id = sorted((entries[i] for i in indices), key=lambda e: e.request_body["seq_id"])
        for index, entry in zip(indices, by_seq_id, strict=True):
            ordered[index] = entry
    return ordered


def normalise(entries: Sequence[JournalEntry]) -> list[Row]:
    """Foreground rows, submissions by seq_id, polls after their submission, UUIDs numbered by first
    appearance, version suffix cut."""
    # "0.38.0+tinker-harness-reference-client.0.1.0" -> "0.38.0"; ids numbered by first appearance.
    normaliser = JournalNormaliser(number_ids=True, extra=lambda value: REFERENCE_SUFFIX.sub("", value))
    text = normaliser.text

    rows = []
    for entry in polls_after_submission(submissions_in_seq_id_order(entries)):
        if entry.endpoint in BACKGROUND:
            continue
        headers = tuple((h, text(entry.request_headers[h])) for h in PROTOCOL_HEADERS if h in entry.request_headers)
        body = json.dumps(normaliser.value(entry.request_body), sort_keys=True, default=str)
        path = text(entry.path + (f"?{entry.query}" if entry.query else ""))
        rows.append(Row(entry.method, entry.endpoint or entry.path, path, body, headers))
    return rows


@dataclass
class Comparison:
    sdk: list[Row]
    reference: list[Row]
    fired: set[str]

    def differences(self) -> list[str]:
        out = []
        if [r.endpoint for r in self.sdk] != [r.endpoint for r in self.reference]:
            out.append(
                f"endpoint order: sdk {[r.endpoint for r in self.sdk]} != ref {[r.endpoint for r in self.reference]}"
            )
        for index, (a, b) in enumerate(zip(self.sdk, self.reference, strict=False)):
            if a != b:
                out.append(f"#{index} {a.endpoint}:\n  sdk {a.line()}\n  ref {b.line()}")
        return out


def compare(sdk: Sequence[JournalEntry], reference: Sequence[JournalEntry]) -> Comparison:
    entries = {"sdk": list(sdk), "reference": list(reference)}
    fired = set()
    for name, (side, _why, rule) in ALLOWED.items():
        entries[side], used = rule(entries[side], side)
        if used:
            fired.add(name)
    return Comparison(normalise(entries["sdk"]), normalise(entries["reference"]), fired)
