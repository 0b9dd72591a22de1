"""The journal off the request's path: the server keeps each exchange raw and numbers it; decoding,
contract checks and redaction happen when an entry is first read or written to the JSONL sink, with
the same entry for every reader (§17). Nothing unredacted reaches disk or the control API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tinker_harness.mock_server import journal as journal_module
from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.journal import JOURNAL_FORMAT, JournalEntry

API_KEY = "tml-journal-off-path-secret-1234"


def _traffic(server: MockServer) -> None:
    with TestClient(server.app, base_url="http://mock") as client:
        headers = {"X-API-Key": API_KEY}
        created = client.post(
            "/api/v1/create_session",
            headers=headers,
            json={"tags": [], "user_metadata": {"api_key": "in-metadata-secret"}, "sdk_version": "0.38.0"},
        )
        assert created.status_code == 200, created.text
        assert client.post("/api/v1/create_session", headers=headers, json={"tags": 5}).status_code == 422
        assert client.get("/api/v1/healthz").status_code == 200


def test_the_request_path_keeps_raw_exchanges_and_reading_materialises_them_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = journal_module.materialise

    def counted(raw: object, seq: int, *, validate: bool) -> JournalEntry:
        calls.append(seq)
        return real(raw, seq, validate=validate)  # type: ignore[arg-type]

    monkeypatch.setattr(journal_module, "materialise", counted)
    server = MockServer()
    _traffic(server)
    assert server.journal.total == 3 and server.journal.last_seq == 3
    assert calls == []  # serving three exchanges decoded, checked and redacted nothing
    first = server.journal.entries()
    again = server.journal.entries()
    assert calls == [1, 2, 3] and first == again  # each entry is built once, on first read


def test_every_reader_sees_the_same_redacted_checked_entry(tmp_path: Path) -> None:
    sink = tmp_path / "journal.jsonl"
    server = MockServer(ServerConfig(journal_path=sink))
    _traffic(server)
    server.journal.flush()
    on_disk = [JournalEntry.from_json(json.loads(line)) for line in sink.read_text(encoding="utf-8").splitlines()]
    with TestClient(server.app, base_url="http://mock") as client:
        served = client.get("/_harness/control/journal").json()["entries"]
    from_control = [JournalEntry.from_json(e) for e in served]
    in_process = server.journal.entries()
    assert on_disk == from_control == in_process
    refused = in_process[1]
    assert refused.status == 422 and refused.request_violations  # the contract check ran (off the path)
    everything = sink.read_text(encoding="utf-8") + json.dumps(served)
    assert API_KEY not in everything and "in-metadata-secret" not in everything
    assert all(e.format == JOURNAL_FORMAT for e in in_process)
    server.journal.close()


def test_a_journal_entry_reads_back_only_in_its_own_format() -> None:
    server = MockServer()
    _traffic(server)
    entry = server.journal.entries()[0]
    assert JournalEntry.from_json(entry.to_json()) == entry
    with pytest.raises(ValueError, match="format 99"):
        JournalEntry.from_json(entry.to_json() | {"format": 99})
    with pytest.raises(ValueError, match="unknown keys"):
        JournalEntry.from_json(entry.to_json() | {"surprise": 1})


def test_the_ring_stays_bounded_and_drops_raw_bytes_once_read() -> None:
    server = MockServer(ServerConfig(journal_size=2))
    _traffic(server)
    assert [e.seq for e in server.journal.entries()] == [2, 3] and server.journal.total == 3
    assert all(slot.raw is None for slot in server.journal._slots)  # noqa: SLF001 - the memory bound itself
