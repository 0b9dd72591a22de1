"""Run the official SDK flow script (``sdk_flow.py``) in an SDK venv against a server and check what it did."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.skyrl_tx.servers import Server

FLOW_SCRIPT = Path(__file__).with_name("sdk_flow.py")
FLOW_TIMEOUT = 600.0


class FlowFailed(RuntimeError):
    """The SDK flow exited non-zero or reported something other than a trained model and samples."""


@dataclass(frozen=True)
class FlowRun:
    seconds: float
    sdk_version: str
    losses: list[float]
    sample_lengths: list[int]


def _invoke(sdk_python: Path, server: Server) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(sdk_python), str(FLOW_SCRIPT), server.url, server.base_model],
        capture_output=True,
        text=True,
        timeout=FLOW_TIMEOUT,
    )


def run_flow(sdk_python: Path, server: Server) -> FlowRun:
    """One LoRA training + sampling flow; its wall time excludes the interpreter's start and the SDK import."""
    done = _invoke(sdk_python, server)
    if done.returncode != 0:
        raise FlowFailed(f"SDK flow against {server.name} exited {done.returncode}:\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    flow = FlowRun(report["seconds"], report["sdk_version"], report["losses"], report["sample_lengths"])
    if len(flow.losses) == 0 or not all(math.isfinite(loss) and loss > 0 for loss in flow.losses):
        raise FlowFailed(f"SDK flow against {server.name} reported implausible losses {flow.losses}")
    if not flow.sample_lengths or min(flow.sample_lengths) == 0:
        raise FlowFailed(f"SDK flow against {server.name} sampled no tokens: {flow.sample_lengths}")
    return flow


def expect_refusal(sdk_python: Path, server: Server) -> str:
    """Run the same flow with an SDK the server cannot serve; return the SDK's final error line (fail if it passes)."""
    done = _invoke(sdk_python, server)
    if done.returncode == 0:
        raise FlowFailed(f"the SDK in {sdk_python} unexpectedly completed the flow against {server.name}")
    lines = [line.strip() for line in done.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {done.returncode} with no message"
