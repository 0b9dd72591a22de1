"""The end-to-end flow of the official SDK, any version, against any Tinker server.

:func:`run_flow` runs ``driver.py`` (training, checkpoints, sampling, compute_logprobs, resume with
optimizer, REST, and what the version has: archive, finish, custom loss, join) with the interpreter
of ``tinker==version``'s own virtual environment against ``base_url`` and returns what the flow
observed. :mod:`.variants` says which ways of serving each version the mock verifies.

Against any server (nothing in the flow is specific to our mock)::

    from tinker_harness.scenarios.sdk_flow import FlowError, run_flow

    run = run_flow("0.30.4", "http://127.0.0.1:8000", "tml-...", base_model="meta-llama/Llama-3.2-1B")
    run.result["losses"]  # the eight training losses, each below the one before on a learning server

The server needs to serve ``base_model`` for LoRA training and sampling; the flow trains on token
ids below 500 (any vocabulary has them) and never reads a tokenizer. Only the standard library and
the version's ``tinker`` (and, for the custom-loss step, this interpreter's torch) run in the
subprocess; a failure raises :class:`FlowError` ending with the SDK's traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinker_harness.scenarios.sdk_envs import ensure_sdk_env

__all__ = ["DEFAULT_BASE_MODEL", "DRIVER", "SKIPPABLE", "FlowError", "FlowRun", "flow_python", "run_flow", "torch_path"]

DRIVER = Path(__file__).resolve().with_name("driver.py")
DEFAULT_BASE_MODEL = "Qwen/Qwen3-8B"
# Steps a caller may leave out (for a known SDK or server defect): the legacy archive download.
SKIPPABLE = ("archive",)


class FlowError(RuntimeError):
    """The flow failed; the message ends with the driver's stderr."""


@dataclass(frozen=True)
class FlowRun:
    """One flow run. ``result`` is the driver's JSON: ``version``; ``losses`` (8 training steps);
    ``forward_logprobs``, ``forward_loss``, ``resumed_logprobs`` (forward before and after resuming
    from the saved state with its optimizer); ``custom_loss`` (``mode``: server, client-handle,
    client or skipped, and its metrics); ``compute_logprobs``; ``samples``, ``sample_logprobs`` and
    ``shadow_samples`` (from a pickled copy of the sampling client); ``state_path``,
    ``sampler_path``, ``checkpoints``; ``run_id``, ``model_id``, ``resumed_model_id``; ``models``
    (server capabilities); ``archive`` (file names in the legacy archive, [] where the version has
    none or it was skipped); ``sessions`` (session search, 0.36+); ``finished`` (``close``, 0.27.2+)."""

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
    base_model: str = DEFAULT_BASE_MODEL,
    home: Path | None = None,
    skip: tuple[str, ...] = (),
    timeout: float = 300.0,
) -> FlowRun:
    """Run the flow with ``tinker==version`` against ``base_url``; raises FlowError on failure.

    ``home`` is the SDK's ``HOME`` (its caches); a temporary directory, removed afterwards, when not
    given. ``skip`` names steps of :data:`SKIPPABLE`. Every ``TINKER_*`` variable of this process is
    left out of the subprocess, so only ``base_url`` and ``api_key`` reach the SDK.
    """
    unknown = sorted(set(skip) - set(SKIPPABLE))
    if unknown:
        raise ValueError(f"unknown flow steps to skip: {', '.join(unknown)} (skippable: {', '.join(SKIPPABLE)})")
    if home is None:
        with tempfile.TemporaryDirectory(prefix="tinker-flow-") as temporary:
            return run_flow(
                version, base_url, api_key, base_model=base_model, home=Path(temporary), skip=skip, timeout=timeout
            )
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("TINKER_")}
    env.update(TINKER_BASE_URL=base_url, TINKER_API_KEY=api_key, HOME=str(home), HF_HUB_OFFLINE="1")
    env["SDK_VERSION"] = version
    env["TINKER_HARNESS_FLOW_BASE_MODEL"] = base_model
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
