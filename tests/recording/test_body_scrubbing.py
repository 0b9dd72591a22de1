"""Every kind of body is scrubbed before it reaches a cassette, not only JSON and protobuf: multipart,
octet-stream, gzip and zstd payloads (an archive, a compressed file) and compressed transfer encodings.

Secrets are planted in each kind of body, the exchange goes through the one way into a cassette
(:class:`Preparer`) and the file written; then the file, every ``!!binary`` body and every
compressed payload inside them are searched for the secrets. Binary bodies keep their length, and
archives stay readable.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
import yaml
import zstandard

from tinker_harness.mock_server.recording.cassette import (
    Annotation,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)
from tinker_harness.mock_server.recording.cassette_io import read_cassette, write_cassette
from tinker_harness.mock_server.recording.packing import unpack
from tinker_harness.mock_server.recording.prepare import Preparer

API_KEY = "tml-planted-body-key-5c1d77e0aa"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2R5In0.Ym9keS1zaWduYXR1cmU"
FIELD_SECRET = "plain-field-secret-31415926"  # not credential-shaped: found because of its field name
HEADER_SECRET = "header-only-secret-27182818"  # learned from the X-API-Key header, then found everywhere
SIGNED = "https://files.example/ckpt.tar.gz?expires=99&signature=c2lnbmVkLXVybC1zZWNyZXQ"
SECRETS = (API_KEY, JWT, FIELD_SECRET, HEADER_SECRET, "c2lnbmVkLXVybC1zZWNyZXQ")
BOUNDARY = "harness-boundary-7d1"


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _multipart() -> bytes:
    parts = [
        ("text/plain", b"note: " + API_KEY.encode()),
        ("application/json", json.dumps({"api_key": FIELD_SECRET, "rank": 4}).encode()),
        ("application/octet-stream", b"\x00\xff\xfe" + JWT.encode() + b"\x80\x81"),
    ]
    body = b""
    for index, (kind, payload) in enumerate(parts):
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="p{index}"\r\n'.encode()
        body += f"Content-Type: {kind}\r\n\r\n".encode() + payload + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


BINARY = b"\x89BIN\x00\xff" + API_KEY.encode() + b"\x00\x01" + HEADER_SECRET.encode() + b"\xfe" + SIGNED.encode()
KINDS: dict[str, tuple[str, bytes]] = {
    "multipart": (f"multipart/form-data; boundary={BOUNDARY}", _multipart()),
    "octet-stream": ("application/octet-stream", BINARY),
    "tar-gz-archive": ("application/gzip", _tar_gz({"adapter_config.json": API_KEY.encode(), "w.bin": BINARY})),
    "zstd-file": ("application/zstd", zstandard.ZstdCompressor().compress(json.dumps({"token": JWT}).encode())),
    "text": ("text/plain", f"download {SIGNED} with Bearer {HEADER_SECRET}abcdef".encode()),
    "gzip-encoded-json": ("application/json", gzip.compress(json.dumps({"jwt": JWT, "ok": 1}).encode())),
}


def _exchange(kind: str) -> Interaction:
    content_type, body = KINDS[kind]
    headers = {"content-type": [content_type], "x-api-key": [HEADER_SECRET]}
    answer_headers = {"content-type": [content_type]}
    if kind == "gzip-encoded-json":
        headers["content-encoding"] = ["gzip"]
        answer_headers["content-encoding"] = ["gzip"]
    return Interaction(
        RecordedRequest("POST", "https://live.example/api/v1/upload", headers, body),
        RecordedResponse(200, "OK", answer_headers, body),
        Annotation(seq=0, path="/api/v1/upload"),
    )


def _everything(path: Path) -> bytes:
    """The file, every binary body, and every compressed payload in them (recursively), as bytes."""
    text = path.read_text(encoding="utf-8")
    chunks, pending = [text.encode()], []
    for item in yaml.safe_load(text)["interactions"]:
        pending += [b for b in (item["request"]["body"], item["response"]["body"]["string"]) if isinstance(b, bytes)]
    while pending:
        body = pending.pop()
        chunks.append(body)
        unpacked = unpack(body)
        if unpacked is not None:
            pending.append(unpacked[0])
    return b"\n".join(chunks)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_planted_secrets_in_every_body_kind_never_reach_the_cassette(kind: str, tmp_path: Path) -> None:
    clean = Preparer().prepare(_exchange(kind))
    path = tmp_path / f"{kind}.yaml"
    write_cassette(path, Cassette([clean], {"format": 1, "recorder": "test"}, str(path)))
    everything = _everything(path)
    left = [s for s in SECRETS if s.encode() in everything]
    assert left == [], f"{kind}: {left} reached the cassette"
    assert read_cassette(path).interactions[0].response.body == clean.response.body


def test_binary_bodies_keep_their_length_and_archives_stay_readable() -> None:
    preparer = Preparer()
    octet = preparer.prepare(_exchange("octet-stream")).request.body
    assert len(octet) == len(BINARY) and octet.startswith(b"\x89BIN\x00\xff") and API_KEY.encode() not in octet
    archive = preparer.prepare(_exchange("tar-gz-archive")).response.body
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as opened:
        members = {m.name: opened.extractfile(m).read() for m in opened.getmembers()}  # type: ignore[union-attr]
    assert set(members) == {"adapter_config.json", "w.bin"} and len(members["w.bin"]) == len(BINARY)
    assert API_KEY.encode() not in members["adapter_config.json"]


def test_multipart_parts_are_scrubbed_by_their_own_content_type() -> None:
    body = Preparer().prepare(_exchange("multipart")).request.body
    assert body.count(f"--{BOUNDARY}".encode()) == 4 and body.endswith(f"--{BOUNDARY}--\r\n".encode())
    json_part = body.split(b"application/json\r\n\r\n", 1)[1].split(b"\r\n", 1)[0]
    assert json.loads(json_part)["rank"] == 4 and json.loads(json_part)["api_key"].startswith("<redacted:")


def test_an_untouched_binary_body_keeps_its_exact_bytes() -> None:
    plain = b"\x00\x01\x02 no secrets \xff"
    assert Preparer().scrubber.body(plain, None, "application/octet-stream") == plain
    packed = gzip.compress(b"nothing to hide", mtime=0)
    assert Preparer().scrubber.body(packed, None, "application/gzip") == packed
