"""``tinker-harness cassette to-scenario``: a recording as a conformance scenario file.

The scenario (the catalog format of ``scenarios/schema.py``) has:

* **steps** inferred from the recorded calls (:mod:`scenarios.cassette_steps`);
* **setup.faults** that make the mock answer as the live service did where it misbehaved: a
  recorded non-2xx answer (a 429 on a submit, §15.3) and a ``try_again`` poll (§6.2) become fault
  rules firing on the same call of that endpoint (``after``/``times`` counted as recorded);
* **wire** expectations from the recorded wire: the order of the calls' endpoints, the exact
  status sequence of every endpoint the steps use (retries included, §3), and how many polls
  were answered by a fault.

Only the step operation names and argument names, ``wire`` check keys and fault-plan rules are
assumed of the scenario format; ``scenarios.catalog.load_suite_file`` accepts the output.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tinker_harness.mock_server.recording.calls import Call, Poll, read_calls
from tinker_harness.mock_server.recording.cassette import Cassette, Interaction
from tinker_harness.scenarios.cassette_steps import StepBuilder

__all__ = ["ScenarioError", "scenario_document", "write_scenario"]

_KEPT_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")
_CAPABILITIES = {
    "create_training_client": "training",
    "forward_backward": "training",
    "forward": "training",
    "optim_step": "training",
    "create_sampling_client": "sampling",
    "sample": "sampling",
    "compute_logprobs": "sampling",
    "save_state": "checkpoints",
    "save_weights_for_sampler": "checkpoints",
    "save_weights_and_get_sampling_client": "checkpoints",
    "create_training_client_from_state": "create_via_load",
    "save_weights_external": "external_weights",
    "get_session": "rest:sessions",
    "list_sessions": "rest:sessions",
    "export_session_trace": "trace_export",
    **dict.fromkeys(
        ("get_server_capabilities", "get_training_run", "list_training_runs", "list_checkpoints")
        + ("list_user_checkpoints", "delete_checkpoint", "publish_checkpoint", "unpublish_checkpoint")
        + ("set_checkpoint_ttl", "get_weights_info", "get_external_weights_urls"),
        "rest",
    ),
}
_SECTIONS = {"training": "§8", "sampling": "§9", "checkpoints": "§8.4", "rest": "§10", "create_via_load": "§8.1"}


class ScenarioError(ValueError):
    """The recording cannot become a scenario; the message names the cassette."""


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())) or "session"


def _fault_action(interaction: Interaction, poll: Poll | None) -> dict[str, Any]:
    if poll is not None and poll.try_again:
        answer = poll.answer if isinstance(poll.answer, dict) else {}
        action = {"queue_state": answer.get("queue_state", "active")}
        if answer.get("queue_state_reason"):
            action["reason"] = answer["queue_state_reason"]
        return {"try_again": action}
    if poll is not None and isinstance(poll.answer, dict) and "error" in poll.answer and "category" in poll.answer:
        return {"fail": {"error": str(poll.answer["error"]), "category": poll.answer["category"]}}
    response = interaction.response
    status: dict[str, Any] = {"status": response.status}
    headers = {h: response.header(h) for h in _KEPT_HEADERS if response.header(h) is not None}
    if headers:
        status["headers"] = headers
    body = response.body
    if not body:
        status["empty_body"] = True
    else:
        try:
            status["body"] = yaml.safe_load(body.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError):
            status["body"] = body.decode("utf-8", errors="replace")
    return {"status": status}


def _faulty(poll: Poll) -> bool:
    answer = poll.answer
    return poll.try_again or (isinstance(answer, dict) and "error" in answer and "category" in answer)


def _faults(cassette: Cassette, polls: list[Poll]) -> list[dict[str, Any]]:
    """Rules reproducing each run of recorded faulty answers, per endpoint, at the recorded positions."""
    poll_of = {id(p.interaction): p for p in polls}
    seen: dict[str, int] = {}  # endpoint -> calls so far
    fired: dict[str, int] = {}  # endpoint -> calls earlier rules take (they never reach later rules)
    rules: list[dict[str, Any]] = []
    last: dict[str, tuple[int, dict[str, Any]]] = {}  # endpoint -> (position, open rule)
    for interaction in sorted(cassette.interactions, key=lambda i: i.tinker.seq):
        endpoint = interaction.tinker.endpoint
        if endpoint is None or endpoint in ("telemetry", "session_heartbeat"):
            continue
        seen[endpoint] = position = seen.get(endpoint, 0) + 1
        poll = poll_of.get(id(interaction))
        if interaction.response.status < 300 and not (poll is not None and _faulty(poll)):
            continue
        action = _fault_action(interaction, poll)
        open_rule = last.get(endpoint)
        if open_rule is not None and open_rule[0] == position - 1 and open_rule[1]["action"] == action:
            open_rule[1]["times"] += 1
        else:
            open_rule = (position, {"match": {"endpoint": endpoint}, "after": position - 1 - fired.get(endpoint, 0)})
            open_rule[1].update(times=1, action=action)
            rules.append(open_rule[1])
        last[endpoint] = (position, open_rule[1])
        fired[endpoint] = fired.get(endpoint, 0) + 1
    for index, rule in enumerate(rules, 1):
        rule["name"] = f"recorded-{index}"
    return [{"name": r["name"], **{k: v for k, v in r.items() if k != "name"}} for r in rules]


def _wire(calls: list[Call], polls: list[Poll]) -> list[dict[str, Any]]:
    order: list[str] = []
    statuses: dict[str, list[int]] = {}
    for call in calls:
        if not order or order[-1] != call.endpoint:
            order.append(call.endpoint)
        statuses.setdefault(call.endpoint, []).extend(call.statuses)
    checks: list[dict[str, Any]] = []
    if len(order) > 1:
        checks.append({"order": order, "note": "the recorded order of calls"})
    for endpoint, seen in statuses.items():
        checks.append({"select": {"endpoint": endpoint}, "statuses": seen, "note": "as recorded, retries included"})
    faulted = [p for p in polls if _faulty(p) or p.interaction.response.status >= 300]
    if faulted:
        checks.append({"select": {"endpoint": "retrieve_future", "fault": True}, "count": len(faulted)})
    return checks


def _protocol(steps: list[dict[str, Any]], faults: list[dict[str, Any]], requires: list[str]) -> list[str]:
    refs = ["§5"] + [_SECTIONS[c] for c in requires if c in _SECTIONS]
    if any("close" in step for step in steps):
        refs.append("§4.4")
    for rule in faults:
        status = rule["action"].get("status", {}).get("status") if "status" in rule["action"] else None
        refs.append("§6.2" if status is None else "§3")
        if status == 429:
            column = "asample" if rule["match"]["endpoint"] == "asample" else "submit"
            column = "retrieve_future" if rule["match"]["endpoint"] == "retrieve_future" else column
            refs.append(f"§15.3:429/{column}")
    return list(dict.fromkeys(refs))


def scenario_document(cassette: Cassette, scenario_id: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The suite document (one scenario) and notes on what could only be approximated."""
    name = Path(cassette.source).stem
    calls, polls = read_calls(cassette)
    builder = StepBuilder()
    steps: list[dict[str, Any]] = []
    for call in calls:
        step = builder.step(call)
        if step is not None:  # ids and paths of earlier steps become references to those steps
            steps.append(_resolve(step, builder.refs))
    if not steps:
        raise ScenarioError(f"{cassette.source}: no client calls to turn into steps (only background traffic)")
    faults = _faults(cassette, polls)
    requires = list(dict.fromkeys(_CAPABILITIES[op] for s in steps for op in s if op in _CAPABILITIES))
    scenario_id = scenario_id or f"recorded/{_slug(name)}"
    scenario: dict[str, Any] = {
        "id": scenario_id,
        "purpose": f"Replays the {len(steps)} calls recorded in {name} and checks the recorded wire."[:240],
        "protocol": _protocol(steps, faults, requires),
        "requires": requires,
        "setup": {"clock": "real", "faults": faults} if faults else {"clock": "real"},
        "steps": steps,
        "wire": _wire(calls, polls),
    }
    return {"suite": f"Recorded: {name}", "scenarios": [scenario]}, builder.notes


def _resolve(value: Any, refs: dict[str, str]) -> Any:
    """Recorded ids and paths replaced by references to the steps that produce them."""
    if isinstance(value, str):
        return refs.get(value, value)
    if isinstance(value, dict):
        return {k: _resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, refs) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Short lists (token ids, statuses) on one line; everything else in block style."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(x, int | float | str) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def write_scenario(cassette: Cassette, out: Path, scenario_id: str | None = None) -> list[str]:
    """Write the scenario YAML to ``out``; returns the notes (also written as comments at the top)."""
    if scenario_id is not None and not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)+", scenario_id):
        raise ScenarioError(f"--id {scenario_id!r}: expected kebab-case words joined by '/', e.g. recorded/my-run")
    document, notes = scenario_document(cassette, scenario_id)
    header = [f"# Generated by `tinker-harness cassette to-scenario` from {cassette.source}."]
    header += [f"# note: {n}" for n in notes]
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    out.write_text("\n".join(header) + "\n" + text, encoding="utf-8")
    return notes
