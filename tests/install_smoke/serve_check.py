"""``tinker-harness serve`` from an installed wheel: it starts, answers its health check, and stops on SIGINT.

Run by ``nox -s install_smoke`` with the smoke venv's interpreter (standard library only).
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

START_TIMEOUT_S = 60


def main() -> int:
    executable = shutil.which("tinker-harness")
    if executable is None:
        print("serve_check: tinker-harness is not on PATH", file=sys.stderr)
        return 1
    server = subprocess.Popen([executable, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        url = None
        while url is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            found = re.search(r"listening on (http://\S+)", line)
            url = found.group(1) if found else None
        if url is None:
            print("serve_check: the server never said where it listens", file=sys.stderr)
            return 1
        with urllib.request.urlopen(f"{url}/api/v1/healthz", timeout=10) as answer:
            health = json.load(answer)
        if health != {"status": "ok"}:
            print(f"serve_check: unexpected health answer {health}", file=sys.stderr)
            return 1
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=30)
        if code != 0:
            print(f"serve_check: serve exited {code} on SIGINT", file=sys.stderr)
            return 1
        print(f"serve_check: {url} healthy, stopped cleanly")
        return 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


if __name__ == "__main__":
    raise SystemExit(main())
