"""The mock against skyrl-tx, a real Tinker-compatible training server (JAX on CPU), with the official SDK 0.15.0.

``python -m benchmarks.peer_skyrl_tx [--skyrl-python P] [--sdk-python P]``: for each server, time from process
start to the first answer and to being ready for work, simple-endpoint throughput (one async httpx driver,
16 in flight), and the wall time of the SDK 0.15.0 LoRA training + sampling flow; then SDK 0.38.0 is tried
against skyrl-tx to record why it fails. Writes ``reports/benchmarks/skyrl-tx.{json,md}``. Not part of CI:
the skyrl-tx venv is about 2 GB and is made on first use in ``benchmarks/.cache/``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import Result, markdown, median
from benchmarks.skyrl_tx import environment, flows, load, report
from benchmarks.skyrl_tx.servers import (
    API_KEY,
    Server,
    ServerFailed,
    answered,
    start_mock,
    start_skyrl_tx,
    wait_first_answer,
    wait_ready_for_work,
)
from tinker_harness.scenarios.sdk_envs import SdkEnvError, ensure_sdk_env

SIMPLE_ENDPOINTS = ("/api/v1/healthz", "/api/v1/get_server_capabilities")


@dataclass
class PeerRun:
    """Everything measured on one server."""

    first_answer: list[float]
    ready: list[float]
    loads: dict[str, load.LoadResult]
    first_flow: flows.FlowRun
    warm_flows: list[flows.FlowRun]
    refusal: tuple[str, str] | None = None  # (requests answered 404, SDK 0.38.0's error) for skyrl-tx


def exercise(server: Server, args: argparse.Namespace, newer_sdk: Path | None) -> PeerRun:
    """Load on the simple endpoints, then the SDK 0.15.0 flows, then (if given) the newer SDK's refusal."""
    print(f"{server.name}: load ...", file=sys.stderr, flush=True)
    loads = {path: load.measure(server.url, path, API_KEY, args.load_seconds) for path in SIMPLE_ENDPOINTS}
    print(f"{server.name}: SDK 0.15.0 flows ...", file=sys.stderr, flush=True)
    first_flow = flows.run_flow(args.sdk_python, server)
    warm = [flows.run_flow(args.sdk_python, server) for _ in range(args.flows)]
    refusal = None
    if newer_sdk is not None:
        error = flows.expect_refusal(newer_sdk, server)
        refusal = (", ".join(dict.fromkeys(answered(server, 404))) or "no request", error)
    return PeerRun([], [], loads, first_flow, warm, refusal)


def measure_peer(start: Callable[[Path], Server], args: argparse.Namespace, newer_sdk: Path | None) -> PeerRun:
    """``args.starts`` fresh starts timed to first answer and to ready; the last one is then exercised."""
    first_answer: list[float] = []
    ready: list[float] = []
    with tempfile.TemporaryDirectory(prefix="peer-") as scratch:
        for attempt in range(args.starts):
            work_dir = Path(scratch) / f"start-{attempt}"
            work_dir.mkdir()
            server = start(work_dir)
            try:
                first_answer.append(wait_first_answer(server))
                ready.append(wait_ready_for_work(server))
                print(f"{server.name}: ready in {ready[-1]:.2f} s", file=sys.stderr, flush=True)
                if attempt == args.starts - 1:
                    run = exercise(server, args, newer_sdk)
                    run.first_answer, run.ready = first_answer, ready
                    return run
            finally:
                server.stop()
    raise AssertionError("unreachable: --starts is at least 1")


def results(mock: PeerRun, peer: PeerRun, starts: int) -> list[Result]:
    rows: list[Result] = []
    for label, run, target in (("mock", mock, "< 1 s"), ("skyrl-tx", peer, "reference (12-15 s expected)")):
        rows.append(
            Result(
                f"{label}: start to first answer (GET healthz)",
                median(run.first_answer),
                "s",
                "< 1 s" if label == "mock" else "reference",
                f"median of {starts} starts, max {max(run.first_answer):.2f} s",
            )
        )
        rows.append(
            Result(
                f"{label}: start to ready for work (LoRA create_model done)",
                median(run.ready),
                "s",
                target,
                f"median of {starts} starts, max {max(run.ready):.2f} s",
            )
        )
    for path in SIMPLE_ENDPOINTS:
        for label, run in (("mock", mock), ("skyrl-tx", peer)):
            measured = run.loads[path]
            rows.append(
                Result(
                    f"{label}: GET {path}, {load.CONCURRENCY} in flight",
                    measured.rps,
                    "req/s",
                    "reference",
                    f"p50 {measured.p50_ms:.1f} ms, p99 {measured.p99_ms:.1f} ms, "
                    f"{measured.requests} ok / {measured.errors} errors in {measured.seconds:.1f} s",
                )
            )
    flow_detail = "LoRA rank 4, 3 × (forward_backward + optim_step), save weights for sampler, sample 2 × 8 tokens"
    for label, run in (("mock", mock), ("skyrl-tx", peer)):
        rows.append(
            Result(
                f"SDK 0.15.0 flow against {label}, first after start",
                run.first_flow.seconds,
                "s",
                "reference",
                flow_detail + (" (includes JIT compiles)" if label == "skyrl-tx" else ""),
            )
        )
        warm = [flow.seconds for flow in run.warm_flows]
        rows.append(
            Result(
                f"SDK 0.15.0 flow against {label}, warm",
                median(warm),
                "s",
                "reference",
                f"median of {len(warm)} later flows, max {max(warm):.2f} s",
            )
        )
    warm_ratio = median([f.seconds for f in peer.warm_flows]) / median([f.seconds for f in mock.warm_flows])
    rows.append(
        Result(
            "SDK 0.15.0 flow, skyrl-tx time / mock time (first after start)",
            peer.first_flow.seconds / mock.first_flow.seconds,
            "×",
            "≥ 5×",
            "how many times faster the flow runs against the mock",
        )
    )
    rows.append(Result("SDK 0.15.0 flow, skyrl-tx time / mock time (warm)", warm_ratio, "×", "≥ 5×", "medians"))
    return rows


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peer_skyrl_tx", description=__doc__.split("\n")[0])
    parser.add_argument("--skyrl-python", type=Path, help="python of a venv with skyrl-tx (default: make one)")
    parser.add_argument("--skyrl-venv", type=Path, default=environment.DEFAULT_VENV, help="where to make that venv")
    parser.add_argument("--sdk-python", type=Path, help="python of a tinker==0.15.0 venv (default: .sdk-envs)")
    parser.add_argument("--new-sdk-python", type=Path, default=Path(sys.executable), help="python with tinker 0.38.0")
    parser.add_argument("--model-dir", type=Path, default=environment.DEFAULT_MODEL, help="tiny model (made if absent)")
    parser.add_argument("--starts", type=int, default=3, help="fresh starts per server for the start-up times")
    parser.add_argument("--flows", type=int, default=3, help="warm SDK flows per server after the first")
    parser.add_argument("--load-seconds", type=float, default=load.SECONDS, help="seconds of load per endpoint")
    parser.add_argument("--out-dir", type=Path, default=Path("reports/benchmarks"))
    args = parser.parse_args(argv)
    for flag in ("skyrl_python", "sdk_python", "new_sdk_python"):
        path = getattr(args, flag)
        if path is not None and not path.is_file():
            parser.error(f"--{flag.replace('_', '-')}: no such interpreter: {path}")
        if path is not None:  # absolute, not resolved: a venv's python is a symlink to the base interpreter
            setattr(args, flag, path.absolute())
    if not 1 <= args.starts <= 10 or not 1 <= args.flows <= 5 or not 0 < args.load_seconds <= 60:
        parser.error("--starts must be 1-10, --flows 1-5 and --load-seconds in (0, 60]")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        skyrl_python = args.skyrl_python or environment.ensure_skyrl_venv(args.skyrl_venv)
        args.sdk_python = args.sdk_python or ensure_sdk_env("0.15.0")
        model_dir = environment.ensure_tiny_model(skyrl_python, args.model_dir)
        mock = measure_peer(start_mock, args, None)
        peer = measure_peer(lambda work: start_skyrl_tx(skyrl_python, model_dir, work), args, args.new_sdk_python)
    except (environment.PeerSetupError, SdkEnvError, ServerFailed, load.LoadFailed, flows.FlowFailed) as exc:
        print(f"skyrl-tx peer benchmark failed: {exc}", file=sys.stderr)
        return 1
    assert peer.refusal is not None
    rows = results(mock, peer, args.starts)
    page = report.write(rows, peer.refusal[0], peer.refusal[1], args.out_dir)
    print(markdown(rows))
    print(f"\nwritten: {args.out_dir / 'skyrl-tx.json'}, {page}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
