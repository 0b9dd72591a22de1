"""Behavioural parity: journals of the official SDK 0.38.0 against the mock, normalised and diffed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tinker
from parity_support import PLANTED, PLANTED_GAPS, SDK_VERSION, write_jsonl
from sdk_support import BASE_MODEL, dataset
from tinker import types

from tinker_harness.cli import main
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.local import MockTinker
from tinker_harness.reports.behaviour import JournalError, compare_journal_dirs, diff_journals, load_journal

pytestmark = pytest.mark.sdk

Entries = list[dict[str, Any]]


def _scenario(sdk_mock: Callable[..., MockTinker], seed: int) -> Entries:
    """create session → LoRA client → forward_backward → optim_step → save_state → close."""
    mock = sdk_mock(ServerConfig(seed=seed, client_config={"pjwt_auth_enabled": False}))
    service = tinker.ServiceClient()
    training = service.create_lora_training_client(base_model=BASE_MODEL, rank=4).result()
    training.forward_backward(dataset(), "cross_entropy").result()
    training.optim_step(types.AdamParams(learning_rate=0.01)).result()
    training.save_state("step-1").result()
    service.close("success").result()
    return [e.to_json() for e in mock.journal.entries()]


@pytest.fixture(scope="module")
def journals(tmp_path_factory: pytest.TempPathFactory) -> tuple[Entries, Entries]:
    # Module-scoped: run both scenarios once with a local monkeypatch (sdk_mock is function-scoped).
    from _pytest.monkeypatch import MonkeyPatch

    from tinker_harness.mock_server.local import start_mock

    patch = MonkeyPatch()
    started: list[MockTinker] = []

    def factory(config: ServerConfig | None = None) -> MockTinker:
        mock = start_mock(config)
        started.append(mock)
        for name in ("TINKER_API_KEY", "TINKER_BASE_URL", "TINKER_PROJECT_ID", "TINKER_TAGS"):
            patch.delenv(name, raising=False)
        patch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        patch.setenv("HF_HUB_OFFLINE", "1")
        for name, value in mock.env.items():
            patch.setenv(name, value)
        return mock

    try:
        return _scenario(factory, 0), _scenario(factory, 1)
    finally:
        patch.undo()
        for mock in started:
            mock.stop()


def _load(tmp_path: Path, side: str, entries: Entries) -> list[Any]:
    return load_journal(write_jsonl(tmp_path / side / "train.jsonl", entries))


def _ids(findings: list[Any]) -> dict[str, str]:
    return {f.id: f.severity.value for f in findings}


def test_two_runs_of_one_scenario_normalise_to_no_differences(
    journals: tuple[Entries, Entries], tmp_path: Path
) -> None:
    first, second = journals
    assert first[3]["request_body"]["session_id"] != second[3]["request_body"]["session_id"]  # ids really differ
    findings, items = diff_journals("train", _load(tmp_path, "python", first), _load(tmp_path, "port", second))
    assert findings == []
    assert {i.subject for i in items} >= {"create_model", "forward_backward", "retrieve_future"}
    assert all(i.status == "ok" for i in items)


def _entry(entries: Entries, endpoint: str) -> dict[str, Any]:
    return next(e for e in entries if e["endpoint"] == endpoint)


def test_planted_wire_differences_are_found(journals: tuple[Entries, Entries], tmp_path: Path) -> None:
    python, port = copy.deepcopy(journals[0]), copy.deepcopy(journals[1])
    del _entry(port, "create_model")["request_body"]["lora_config"]["train_attn"]  # body field missing
    _entry(port, "optim_step")["request_body"]["adam_params"]["beta2"] = 0.9  # different default
    _entry(port, "forward_backward")["request_headers"]["content-type"] = "application/json"  # JSON vs protobuf
    del _entry(port, "get_info")["request_headers"]["x-api-key"]  # auth header missing
    _entry(port, "get_info")["request_headers"]["X-Port-Trace"] = "1"  # extra header (any case)
    finish = _entry(port, "finish_session")
    finish["endpoint"], finish["path"], finish["status"] = None, finish["path"].replace("/sessions/", "/session/"), 404
    port.remove(_entry(port, "create_session"))  # endpoint not called
    port.remove(_entry(port, "telemetry"))  # background endpoint not called
    # Retries: the SDK retried save_weights after 0.5 s, the port after 3 s; after a 503 on optim_step
    # the SDK gave up and the port tried again.
    for entries, gap in ((python, 0.5), (port, 3.0)):
        save = _entry(entries, "save_weights")
        entries.insert(
            entries.index(save), {**copy.deepcopy(save), "status": 503, "timestamp": save["timestamp"] - gap}
        )
    _entry(python, "optim_step")["status"] = 503
    optim = _entry(port, "optim_step")
    port.insert(port.index(optim), {**copy.deepcopy(optim), "status": 503, "timestamp": optim["timestamp"] - 0.5})

    findings, items = diff_journals("train", _load(tmp_path, "python", python), _load(tmp_path, "port", port))
    assert _ids(findings) == {
        "wire/body-missing/create_model#lora_config.train_attn": "critical",
        "wire/body-value/optim_step#adam_params.beta2": "medium",
        "wire/retry-count/optim_step#after-5xx": "medium",
        "wire/backoff/save_weights#backoff-after-5xx": "medium",
        "wire/encoding/forward_backward#content-type": "critical",
        "wire/header-missing/x-api-key": "critical",
        "wire/header-extra/x-port-trace": "low",
        "wire/path/finish_session": "critical",
        "wire/not-called/create_session": "high",
        "wire/not-called/telemetry": "low",
    }
    by_id = {f.id: f for f in findings}
    assert all(f.scenarios == ["train"] for f in findings)
    path = by_id["wire/path/finish_session"]
    assert (
        "/api/v1/session/<id>/finish" in path.title and path.port is not None and path.port.file == "port/train.jsonl"
    )
    backoff = by_id["wire/backoff/save_weights#backoff-after-5xx"]
    assert backoff.python is not None and backoff.python.text == "waited 0.5 s"
    assert backoff.port is not None and backoff.port.text == "waited 3 s"
    retry = by_id["wire/retry-count/optim_step#after-5xx"]
    assert retry.title == "optim_step: after 503 the port tries again; the SDK gives up"
    assert (
        by_id["wire/header-missing/x-api-key"].title
        == "the port does not send header x-api-key on get_info; the SDK does"
    )
    status = {i.subject: i.status for i in items}
    assert status["create_session"] == "missing" and status["create_model"] == "partial"
    assert status["finish_session"] == "partial" and status["save_weights"] == "partial"


def test_journals_feed_the_report(
    journals: tuple[Entries, Entries], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python, port = journals
    port = copy.deepcopy(port)
    _entry(port, "optim_step")["request_body"]["adam_params"]["eps"] = 1e-8
    write_jsonl(tmp_path / "j" / "python" / "train.jsonl", python)
    write_jsonl(tmp_path / "j" / "port" / "train.jsonl", port)
    write_jsonl(tmp_path / "j" / "python" / "sample.jsonl", python)
    args = ["parity", "--python-sdk", SDK_VERSION, "--port", str(PLANTED), "--output", str(tmp_path / "out")]
    assert main([*args, "--journals", str(tmp_path / "j")]) == 0
    report = json.loads((tmp_path / "out" / "parity-tinker-0.38.0.json").read_text())
    static = {i: severity for i, (severity, _, _) in PLANTED_GAPS.items() if i.startswith("wire/")}
    wire = [f["id"] for f in report["findings"] if f["domain"] == "wire" and f["id"] not in static]
    assert wire == ["wire/body-value/optim_step#adam_params.eps"]
    assert "journals: scenario sample has no port journal" in report["notes"]
    wire_summary = next(s for s in report["summary"] if s["domain"] == "wire")
    assert wire_summary["items"] > 5
    assert wire_summary["counts"]["medium"] == 1 + sum(1 for s in static.values() if s == "medium")
    (tmp_path / "j" / "port" / "train.jsonl").write_text('{"method": "POST"}\n')
    capsys.readouterr()
    assert main([*args, "--journals", str(tmp_path / "j")]) == 2
    err = capsys.readouterr().err.strip()
    assert "port/train.jsonl:1: not a journal entry (missing seq, timestamp, http_request_id, path, " in err
    assert len(err.splitlines()) == 1


def test_journal_dirs_without_sides_are_a_note(tmp_path: Path) -> None:
    findings, items, notes = compare_journal_dirs(tmp_path)
    assert (findings, items) == ([], []) and "needs python/ and port/" in notes[0]
    (tmp_path / "bad.jsonl").write_text("not json\n")
    with pytest.raises(JournalError, match=r"bad\.jsonl:1: not JSON"):
        load_journal(tmp_path / "bad.jsonl")
