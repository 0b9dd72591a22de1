"""The skyrl-tx peer report: results as JSON (``Result`` dicts) and a Markdown page with how it was started."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from benchmarks.measure import Result, markdown
from benchmarks.skyrl_tx.servers import SKYRL_BACKEND_CONFIG

STARTED_HOW = """\
skyrl-tx 0.3.0 (PyPI wheel, `pip install "skyrl-tx[tinker]==0.3.0" "jax[cpu]" flax optax "torch<2.14"` in its own
venv; its own `jax` extra would pull CUDA JAX) is started on loopback as
`python -m tx.tinker.api --base-model <dir> --host 127.0.0.1 --port <free port> --database-url sqlite:///<tmp>/tinker.db
--checkpoints-base <tmp>/checkpoints --backend-config '{backend}'` with `JAX_PLATFORMS=cpu`. The model directory holds a
random 2-layer Qwen3 (hidden size 64, 4 heads, float32) saved with `transformers`, and a 512-token byte-level BPE
tokenizer trained with `tokenizers` on `mock_server/data/corpus.txt` (`benchmarks/skyrl_tx/make_tiny_model.py`).
The FastAPI process answers `/api/v1/healthz` after a few seconds, but all work is done by a second process, the
engine, which the API server spawns as `uv run --extra tinker --extra jax -m tx.tinker.engine <same flags>`; that
command only works inside a SkyRL source checkout, so a two-line `uv` on `PATH` runs `python -m tx.tinker.engine` in the
same venv instead. The engine imports JAX, loads the model and only then takes queued requests (it polls the SQLite
queue every 100 ms; `retrieve_future` polls it with a back-off from 0.1 s to 1 s), and each new sequence length
is JIT-compiled on first use. The SDK addresses the model by the
directory path, which is also the name `get_server_capabilities` lists."""

WHY_NOT_038 = """\
skyrl-tx cannot serve the official SDK 0.38.0 unmodified: the 0.38.0 SDK's first request when it builds a session
is `POST /api/v1/client/config` (protocol reference §4.1 step 2; a failure aborts construction), and skyrl-tx 0.3.0
has no such route. Running the same flow with SDK 0.38.0 against it in this run, the server answered 404 to
`{refused}`, and the SDK stopped with `{error}`. SDK 0.15.0 starts with `create_session` and no `client/config`
(versions reference, item 4) and sends plain JSON bodies, which is the protocol skyrl-tx implements."""


def write(results: list[Result], refused: str, error: str, out_dir: Path) -> Path:
    """Write ``skyrl-tx.json`` and ``skyrl-tx.md`` under ``out_dir``; return the Markdown path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "skyrl-tx.json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    page = "\n".join(
        [
            "# Peer benchmark: the mock against skyrl-tx",
            "",
            markdown(results),
            "",
            "## How skyrl-tx is started",
            "",
            STARTED_HOW.format(backend=json.dumps(SKYRL_BACKEND_CONFIG)),
            "",
            "## Why SDK 0.38.0 cannot use it",
            "",
            WHY_NOT_038.format(refused=refused, error=error.replace("`", "'")),
            "",
        ]
    )
    markdown_path = out_dir / "skyrl-tx.md"
    markdown_path.write_text(page)
    return markdown_path
