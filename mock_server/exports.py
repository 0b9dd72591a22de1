"""The files a checkpoint download consists of (protocol reference §13, versions §7).

An export (``external_weights_urls``) lists ``adapter_config.json`` and ``adapter_model.safetensors``
in the layout PEFT reads (:mod:`mock_server.peft_layout`), or their age-encrypted ``.age`` forms
when the export was saved with recipients (:mod:`mock_server.age_encryption`); the legacy archive
endpoint serves one ``.tar.gz`` holding the same files, the checkpoint's whole
stored state as ``checkpoint_state.npz`` (weights and, for ``weights/`` checkpoints, optimizer
state: :meth:`TrainingState.from_bytes` reads it back) and the empty ``checkpoint_complete``
marker the real archives carry (the 0.30 CLI's ``push-hf`` looks for it). All are built from the
checkpoint's stored state, so a download round-trips the trained weights.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile

from safetensors.numpy import save as save_safetensors

from tinker_harness.mock_server.model import TrainingState
from tinker_harness.mock_server.peft_layout import adapter_config, adapter_tensors
from tinker_harness.mock_server.state import CheckpointRecord

__all__ = ["ARCHIVE_NAME", "archive_bytes", "archive_files", "export_files", "plain_export_files"]

ARCHIVE_NAME = "archive.tar.gz"
STATE_NAME = "checkpoint_state.npz"
COMPLETE_MARKER = "checkpoint_complete"


def export_files(record: CheckpointRecord) -> dict[str, bytes]:
    """File name -> content of a checkpoint's download (the encrypted files of an encrypted export)."""
    if record.sealed_files is not None:
        return dict(record.sealed_files)
    return plain_export_files(record)


def plain_export_files(record: CheckpointRecord) -> dict[str, bytes]:
    """``adapter_config.json`` and ``adapter_model.safetensors`` of the checkpoint's weights, in PEFT layout."""
    state = TrainingState.from_bytes(record.state)
    config = adapter_config(state.base_model, state.lora_config, tinker_path=record.tinker_path)
    return {
        "adapter_config.json": (json.dumps(config, indent=2, sort_keys=True) + "\n").encode(),
        "adapter_model.safetensors": save_safetensors(adapter_tensors(state.weights, state.lora_config)),
    }


def archive_files(record: CheckpointRecord) -> dict[str, bytes]:
    """File name -> content of a checkpoint's legacy archive."""
    return {**export_files(record), STATE_NAME: record.state, COMPLETE_MARKER: b""}


def archive_bytes(record: CheckpointRecord, mtime: float) -> bytes:
    """The archive files as a deterministic gzip'd tar (fixed mtime and ordering)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in sorted(archive_files(record).items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = int(mtime)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(buffer.getvalue(), mtime=int(mtime))
