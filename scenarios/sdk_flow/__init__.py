"""The end-to-end flow of the official SDK, any version, against any Tinker server.

:func:`run_flow` runs ``driver.py`` (training, checkpoints, sampling, compute_logprobs, resume with
optimizer, REST, and what the version has: archive, finish, custom loss, join) with the interpreter
of ``tinker==version``'s own virtual environment against ``base_url`` and returns what the flow
observed. :mod:`.variants` says which ways of serving each version the mock verifies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinker_harness.scenarios.sdk_envs import ensure_sdk_env

__all__ = ["DRIVER", "FlowError", "FlowRun", "flow_python", "run_flow", "torch_path"]

DRIVER = Path(__file__).resolve().with_name("driver.py")


class FlowError(RuntimeError):
    """The flow failed; the message ends with the driver's stderr."""


@dataclass(frozen=True)
class FlowRun:
    version: str
    base_url: str
    seconds: float
    result: dict[str, Any]


def flow_python(version: str) -> str:
    """The interpreter for ``tinker==version``: this one when it has that version, else its venv."""
    try:
        import tinker

        if tinker.__version__ == version:
            return sys.executable
    except ImportError:
        pass
    return str(ensure_sdk_env(version))


def torch_path() -> str | None:
    """The site-packages holding torch in this interpreter (for the custom-loss step), if any."""
    try:
        import torch
    except ImportError:
        return None
    return str(Path(torch.__file__).resolve().parent.parent)


def run_flow(
    version: str,
    base_url: str,
    api_key: str,
    *,
    home: Path,
    skip: tuple[str, ...] = (),
    timeout: float = 300.0,
) -> FlowRun:
    """Run the flow with ``tinker==version`` against ``base_url``; raises FlowError on failure."""
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("TINKER_")}
    env.update(TINKER_BASE_URL=base_url, TINKER_API_KEY=api_key, HOME=str(home), HF_HUB_OFFLINE="1")
    env["SDK_VERSION"] = version
    if skip:
        env["TINKER_HARNESS_FLOW_SKIP"] = ",".join(skip)
    torch = torch_path()
    if torch:
        env["TINKER_HARNESS_FLOW_TORCH_PATH"] = torch
    start = time.monotonic()
    try:
        done = subprocess.run(
            [flow_python(version), str(DRIVER)], capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise FlowError(f"tinker {version} flow against {base_url} took over {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise FlowError(f"tinker {version} flow against {base_url} failed:\n{done.stderr[-4000:]}")
    lines = done.stdout.strip().splitlines()
    try:
        result = dict(json.loads(lines[-1]))
    except (IndexError, json.JSONDecodeError) as exc:
        raise FlowError(f"tinker {version} flow printed no result:\n{done.stdout[-2000:]}") from exc
    return FlowRun(version, base_url, time.monotonic() - start, result)
