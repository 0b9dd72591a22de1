"""``tinker-harness serve --api-keys-file FILE``: only the listed keys are accepted; a bad file is
refused at start without echoing its keys (protocol reference §12).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tinker_harness.mock_server.auth import load_api_keys_file

LISTED = ("tml-serve-key-one-0001", "tml-serve-key-two-0002")


def test_serve_accepts_only_the_keys_of_the_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# team keys\n{LISTED[0]}\n\n  {LISTED[1]}   # CI\n{LISTED[0]}\n")
    assert load_api_keys_file(keys) == LISTED
    process = subprocess.Popen(
        [sys.executable, "-m", "tinker_harness", "serve", "--port", "0", "--api-keys-file", str(keys)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        url = lines[0].rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:") and f"one of the keys in {keys}" in lines[2]
        assert not any(key in "".join(lines) for key in LISTED)  # the keys are never printed
        capabilities = f"{url}/api/v1/get_server_capabilities"
        for key in LISTED:
            assert httpx.get(capabilities, headers={"X-API-Key": key}).status_code == 200
        refused = httpx.get(capabilities, headers={"X-API-Key": "tml-serve-key-unlisted"})
        assert refused.status_code == 401 and refused.json()["code"] == "unknown-api-key"
        assert httpx.get(capabilities).json()["code"] == "missing-api-key"
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


def test_serve_refuses_a_bad_keys_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("tml-fine-key-0001\nsk-secret-not-a-tinker-key\n")
    done = subprocess.run(
        [sys.executable, "-m", "tinker_harness", "serve", "--port", "0", "--api-keys-file", str(keys)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{keys}:2" in done.stderr and "tml-" in done.stderr
    assert "sk-secret" not in done.stderr  # the offending line is named, not printed
    missing = subprocess.run(
        [sys.executable, "-m", "tinker_harness", "serve", "--api-keys-file", str(tmp_path / "absent.txt")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "--api-keys-file" in missing.stderr
