"""The skyrl-tx virtual environment (CPU JAX, CPU torch where available) and the tiny local model it serves."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

CACHE = Path("benchmarks/.cache")
DEFAULT_VENV = CACHE / "skyrl-tx-venv"
DEFAULT_MODEL = CACHE / "tiny-qwen3"
CORPUS = Path("mock_server/data/corpus.txt")
MAKE_MODEL_SCRIPT = Path(__file__).with_name("make_tiny_model.py")

# skyrl-tx's own "jax" extra pins jax[cuda12] on Linux, so the CPU stack is listed by hand. The API server
# imports peft, which needs torch; "<2.14" lets pip take a local CPU-only wheel (2.13.0+cpu sorts above
# PyPI's 2.13.0) where one is offered, instead of the multi-GB CUDA build.
REQUIREMENTS = (
    "skyrl-tx[tinker]==0.3.0",
    "jax[cpu]>=0.8,<1.0",
    "flax>=0.12.2",
    "optax>=0.2.5",
    "torch<2.14",
)


class PeerSetupError(RuntimeError):
    """The skyrl-tx venv or the tiny model could not be made; the message says which step failed and why."""


def _run(step: str, command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise PeerSetupError(f"{step} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def ensure_skyrl_venv(path: Path = DEFAULT_VENV) -> Path:
    """The python of a venv with skyrl-tx 0.3.0 and CPU JAX installed; creates it if needed (a stamp marks done)."""
    path = path.resolve()
    python = path / "bin" / "python"
    stamp = path / ".installed"
    if stamp.exists() and python.exists():
        return python
    print(f"creating the skyrl-tx venv in {path} (about 2 GB, a few minutes) ...", file=sys.stderr, flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    _run("pip install skyrl-tx", [str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS])
    _run("import check of the skyrl-tx API server", [str(python), "-c", "import tx.tinker.api, jax, peft"])
    stamp.write_text("\n".join(REQUIREMENTS) + "\n")
    return python


def ensure_tiny_model(skyrl_python: Path, out_dir: Path = DEFAULT_MODEL) -> Path:
    """A HF model dir holding a random 2-layer Qwen3 and a BPE tokenizer trained on ``CORPUS``; made once."""
    out_dir = out_dir.resolve()
    if (out_dir / "config.json").exists() and (out_dir / "model.safetensors").exists():
        return out_dir
    _run("making the tiny model", [str(skyrl_python), str(MAKE_MODEL_SCRIPT), str(CORPUS.resolve()), str(out_dir)])
    return out_dir
