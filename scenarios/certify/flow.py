"""Running the certify flow (``flow_driver.py``) of one SDK version through the journalling proxy.

The driver runs with the interpreter :mod:`scenarios.sdk_flow` picks for ``tinker==version`` (its own
virtual environment, or this interpreter when it has that version) and prints one JSON line per
feature. Where ``sdk_flow`` runs the whole flow as one program that stops at the first exception
(the mock's verification of every generation), this driver runs it feature by feature, each on a
step timeout, so a server failing one feature still gets judged on the others. Each feature's
requests are the journal entries between its mark and the next one, so a failed feature is paired
with the first exchange that went wrong in it (:func:`first_failing`).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinker_harness.contracts.traits import endpoints_with
from tinker_harness.mock_server.journal import JournalEntry
from tinker_harness.scenarios.certify.proxy import Mark, WatchingProxy
from tinker_harness.scenarios.sdk_flow import flow_python, torch_path

__all__ = ["DRIVER", "FeatureResult", "FlowResult", "feature_entries", "first_failing", "run_flow"]

DRIVER = Path(__file__).resolve().with_name("flow_driver.py")
BACKGROUND = endpoints_with("scheduled")  # chatter on its own timer: never the request a feature failed on


@dataclass
class FeatureResult:
    feature: str
    status: str  # pass | fail | n/a | blocked | skipped
    seconds: float = 0.0
    detail: str = ""
    error: dict[str, Any] | None = None
    entries: list[JournalEntry] = field(default_factory=list)  # the feature's exchanges


@dataclass
class FlowResult:
    version: str
    features: list[FeatureResult]
    seconds: float
    stderr: str = ""
    problem: str | None = None  # why the flow did not run to its end (crash, timeout)


def _env(
    base_url: str, api_key: str, mark_url: str, base_model: str | None, step_timeout: float, home: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TINKER_", "CERTIFY_", "CLOUDFLARE_ACCESS_"))}
    env.update(TINKER_BASE_URL=base_url, TINKER_API_KEY=api_key, CERTIFY_MARK_URL=mark_url, HOME=str(home))
    env.update(CERTIFY_STEP_TIMEOUT=f"{step_timeout:g}", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    if base_model:
        env["CERTIFY_BASE_MODEL"] = base_model
    torch = torch_path()
    if torch:
        env["CERTIFY_TORCH_PATH"] = torch
    return env


def feature_entries(entries: list[JournalEntry], marks: list[Mark], feature: str) -> list[JournalEntry]:
    """The exchanges between ``feature``'s mark and the next mark."""
    for index, mark in enumerate(marks):
        if mark.label == feature:
            end = marks[index + 1].seq if index + 1 < len(marks) else None
            return [e for e in entries if e.seq > mark.seq and (end is None or e.seq <= end)]
    return []


def first_failing(entries: list[JournalEntry]) -> JournalEntry | None:
    """The first exchange that went wrong: an error status, no answer, or an answer breaking the contracts;
    else the last exchange the SDK made (the answer it could not use)."""
    failing = [e for e in entries if e.status >= 400 or e.status == 0 or e.response_violations]
    ours = [e for e in failing if e.endpoint is not None]  # a protocol endpoint before a stray path
    if ours or failing:
        return (ours or failing)[0]
    own = [e for e in entries if e.endpoint not in BACKGROUND]
    return own[-1] if own else None


def run_flow(
    version: str,
    proxy: WatchingProxy,
    proxy_url: str,
    api_key: str,
    *,
    work_dir: Path,
    base_model: str | None = None,
    step_timeout: float = 180.0,
    timeout: float = 900.0,
) -> FlowResult:
    """Run the driver with ``tinker==version`` against ``proxy_url``; never raises for what the server does."""
    started = time.monotonic()
    work_dir.mkdir(parents=True, exist_ok=True)
    stderr_path = work_dir / f"flow-{version}.stderr.txt"
    first_seq = proxy.journal.last_seq
    mark_url = f"{proxy_url}/_harness/certify/mark"
    env = _env(proxy_url, api_key, mark_url, base_model, step_timeout, work_dir)
    problem = None
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [flow_python(version), str(DRIVER)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            start_new_session=True,
        )
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
            problem = f"the flow did not finish within {timeout:g} s and was stopped"
    records = []
    for line in out.decode("utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    stderr_text = stderr_path.read_text(errors="replace")[-4000:]
    if not any(r.get("type") == "done" for r in records) and problem is None:
        problem = f"the flow driver stopped early (exit status {process.returncode})"
    entries = proxy.journal.entries(since_seq=first_seq)
    marks = [m for m in proxy.marks if m.seq >= first_seq]
    features = []
    for record in records:
        if record.get("type") != "feature":
            continue
        result = FeatureResult(
            record["feature"],
            record["status"],
            record.get("seconds", 0.0),
            record.get("detail", ""),
            record.get("error"),
        )
        result.entries = feature_entries(entries, marks, result.feature)
        features.append(result)
    return FlowResult(version, features, time.monotonic() - started, stderr_text, problem)
