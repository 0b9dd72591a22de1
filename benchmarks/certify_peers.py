"""Certify real Tinker-compatible servers from PyPI: skyrl-tx 0.3.0 and hatchery-core 0.3.0.

``python -m benchmarks.certify_peers [--peers skyrl-tx hatchery] [--versions ...]``: each peer is installed in
its own venv (skyrl-tx: ``benchmarks/.cache/skyrl-tx-venv`` as the skyrl-tx benchmark makes it, CPU JAX and the
tiny local Qwen3; hatchery-core: ``$TINKER_HARNESS_PEER_CACHE/hatchery-venv``), started on 127.0.0.1 as its
docs say, and judged by ``tinker-harness certify`` over every verified SDK generation. The matrices go to
``reports/peers/<peer>.{md,json}`` with the date, the peer's version and how it was started. Not part of CI
(the venvs weigh gigabytes); ``nox -s certify_peers``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks.skyrl_tx import environment
from benchmarks.skyrl_tx.servers import API_KEY, Server, start_skyrl_tx, wait_first_answer
from tinker_harness.reports.certify.model import build_certify_report
from tinker_harness.reports.certify.render import render_markdown
from tinker_harness.scenarios.certify.features import verified_generations
from tinker_harness.scenarios.certify.run import CertifyOptions, certify

OUT = Path("reports/peers")
CERTIFY_BACKEND = {"max_lora_adapters": 64, "max_lora_rank": 8}
CACHE = Path(os.environ.get("TINKER_HARNESS_PEER_CACHE", "/work/cache/certify"))
HATCHERY = "hatchery-core==0.3.0"
HATCHERY_KEY = "tml-hatchery-dev"

# hatchery's local_dev prints http://127.0.0.1:8420 but binds 0.0.0.0 (uvicorn.Config(host="0.0.0.0") in
# hatchery/core/local_dev.py); the same launcher is run with uvicorn's host forced to loopback.
HATCHERY_LAUNCHER = """
import runpy, uvicorn
_Config = uvicorn.Config
class LoopbackConfig(_Config):
    def __init__(self, app, **kw):
        kw["host"] = "127.0.0.1"
        super().__init__(app, **kw)
uvicorn.Config = LoopbackConfig
runpy.run_module("hatchery.core.local_dev", run_name="__main__")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_hatchery_venv(path: Path = CACHE / "hatchery-venv") -> Path:
    python = path / "bin" / "python"
    if not (python.exists() and subprocess.run([python, "-c", "import hatchery.core.local_dev"]).returncode == 0):
        print(f"creating {path} with {HATCHERY} (torch 2.10, several GB) ...", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
        subprocess.run([python, "-m", "pip", "install", "--quiet", HATCHERY], check=True)
    return python


def start_hatchery(python: Path, work: Path) -> tuple[Server, str]:
    port = _free_port()
    env = {**os.environ, "HOME": str(work), "HATCHERY_DEV_PORT": str(port), "HATCHERY_DEV_NO_GPU": "1",
           "HATCHERY_DEV_API_KEY": HATCHERY_KEY}  # fmt: skip
    log = work / "hatchery.log"
    with log.open("w") as sink:
        process = subprocess.Popen([str(python), "-c", HATCHERY_LAUNCHER], cwd=work, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)  # fmt: skip
    how = (f"{HATCHERY} in its own venv; `HATCHERY_DEV_NO_GPU=1 HATCHERY_DEV_PORT={port} python -m "
           f"hatchery.core.local_dev` with HATCHERY_DEV_API_KEY={HATCHERY_KEY} (its README's quick start: scripted "
           "worker; the default token `dev` is refused by the SDK itself, which wants 'tml-') with uvicorn's host "
           "forced to 127.0.0.1 (local_dev binds 0.0.0.0)")  # fmt: skip
    return Server("hatchery-core", process, f"http://127.0.0.1:{port}", "scripted", time.perf_counter(), log), how


def _healthy(url: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer /v1/health within {timeout:g} s")


def start_skyrl(work: Path) -> tuple[Server, str]:
    python = environment.ensure_skyrl_venv()
    model = environment.ensure_tiny_model(python)
    server = start_skyrl_tx(python, model, work, CERTIFY_BACKEND)
    wait_first_answer(server, timeout=300)
    how = (
        "skyrl-tx[tinker]==0.3.0 with CPU JAX in its own venv; `python -m tx.tinker.api --base-model <tiny "
        "random 2-layer Qwen3> --host 127.0.0.1 --port N --database-url sqlite:///... --checkpoints-base ... "
        f"--backend-config '{json.dumps(CERTIFY_BACKEND)}'` (as benchmarks/skyrl_tx starts it, with room for "
        "64 adapters: every scenario makes models of its own and certify never deletes a server's models)"
    )
    return server, how


PEERS: dict[str, tuple[Callable[[Path], tuple[Server, str]], str]] = {
    "skyrl-tx": (start_skyrl, API_KEY),
    "hatchery": (lambda work: _hatchery(work), HATCHERY_KEY),
}


def _hatchery(work: Path) -> tuple[Server, str]:
    server, how = start_hatchery(ensure_hatchery_venv(), work)
    _healthy(server.url)
    return server, how


def certify_peer(name: str, versions: tuple[str, ...], jobs: int) -> Path:
    start, key = PEERS[name]
    with tempfile.TemporaryDirectory(prefix=f"certify-{name}-") as scratch:
        work = Path(scratch)
        server, how = start(work)
        try:
            options = CertifyOptions(server.url, key, versions, work / "certify", jobs=jobs, step_timeout=120,
                                     flow_timeout=900)  # fmt: skip
            run = certify(options, log=lambda line: print(f"{name}: {line}", file=sys.stderr, flush=True))
        finally:
            server.stop()
    report = build_certify_report(run)
    OUT.mkdir(parents=True, exist_ok=True)
    header = f"<!-- {name}; certified {report.generated_at}; started as: {how} -->\n\n"
    started = f"Started as: {how}.\n\n"
    text = render_markdown(report).replace("\n\n", f"\n\n{started}", 1)
    (OUT / f"{name}.md").write_text(header + text, encoding="utf-8")
    data = report.to_json() | {"peer": name, "started_as": how}
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return OUT / f"{name}.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", nargs="+", choices=sorted(PEERS), default=sorted(PEERS))
    parser.add_argument("--versions", nargs="+", default=verified_generations())
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args(argv)
    for name in options.peers:
        print(f"wrote {certify_peer(name, tuple(options.versions), options.jobs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
