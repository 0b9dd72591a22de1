"""The ``tinker-harness`` commands of an installed wheel, with no pytest and nothing from the repository.

``openapi`` prints the document; ``parity`` reports on a small Elixir port; ``serve`` starts, answers its
health check and stops on SIGINT; ``record`` proxies two requests to it and writes a cassette;
``cassette check`` and ``cassette to-scenario`` read it; ``serve --replay`` answers the recorded requests.
Run by ``nox -s install_smoke`` with the smoke venv's interpreter (standard library only), in a scratch
directory.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 60
API_KEY = "tml-install-smoke"
# A small Elixir port with planted gaps (the parity tests' fixture), compared with the shipped 0.38.0 manifest.
PLANTED_PORT = Path(__file__).resolve().parents[1] / "fixtures" / "elixir" / "planted"
SESSION_BODY = {"tags": [], "user_metadata": {}, "sdk_version": "install-smoke"}


class CheckFailed(Exception):
    pass


def _cli() -> str:
    executable = shutil.which("tinker-harness")
    if executable is None:
        raise CheckFailed("tinker-harness is not on PATH")
    return executable


@contextmanager
def running(*args: str) -> Iterator[str]:
    """Run ``tinker-harness ARGS`` (a server), yield the URL it listens on, stop it with SIGINT (exit 0)."""
    server = subprocess.Popen([_cli(), *args], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        url = None
        while url is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            found = re.search(r"(?:listening on|on) (http://[\d.:]+)", line)
            url = found.group(1) if found else None
        if url is None:
            raise CheckFailed(f"{' '.join(args)}: never said where it listens")
        yield url
        server.send_signal(signal.SIGINT)
        if server.wait(timeout=30) != 0:
            raise CheckFailed(f"{' '.join(args)}: exited {server.returncode} on SIGINT")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _get(url: str) -> object:
    request = urllib.request.Request(url, headers={"X-API-Key": API_KEY})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def _create_session(base_url: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base_url}/api/v1/create_session",
        data=json.dumps(SESSION_BODY).encode(),
        headers={"Content-Type": "application/json", "X-API-Key": API_KEY},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        if answer.status != 200:
            raise CheckFailed(f"create_session at {base_url}: HTTP {answer.status}")
        return dict(json.load(answer))


def _run(*args: str) -> str:
    done = subprocess.run([_cli(), *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise CheckFailed(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def main() -> int:
    cassette, scenario = Path("session.yaml").resolve(), Path("scenario.yaml").resolve()
    try:
        document = json.loads(_run("openapi"))
        if not str(document.get("openapi", "")).startswith("3.1"):
            raise CheckFailed("openapi: not an OpenAPI 3.1 document")
        print(f"openapi: {len(document['paths'])} paths")
        print(_run("parity", "--python-sdk", "0.38.0", "--port", str(PLANTED_PORT), "--output", "parity").strip())
        with running("serve", "--port", "0") as url:
            if _get(f"{url}/api/v1/healthz") != {"status": "ok"}:
                raise CheckFailed("serve: unexpected health answer")
            with running("record", "--upstream", url, "--out", str(cassette), "--port", "0") as proxy:
                recorded = _create_session(proxy), _get(f"{proxy}/api/v1/get_server_capabilities")
        print(f"serve and record: session {recorded[0]['session_id']} and capabilities recorded to {cassette}")
        print(_run("cassette", "check", str(cassette)).strip())
        print(_run("cassette", "to-scenario", str(cassette), "--out", str(scenario)).strip())
        with running("serve", "--replay", str(cassette), "--port", "0") as replay:
            replayed = _create_session(replay), _get(f"{replay}/api/v1/get_server_capabilities")
        if replayed != recorded:
            raise CheckFailed(f"serve --replay answered {replayed}, recorded {recorded}")
        print("serve --replay: the recorded answers")
    except CheckFailed as failed:
        print(f"cli_checks: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
