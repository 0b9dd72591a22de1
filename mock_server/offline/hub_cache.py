"""Writing repositories into a Hugging Face Hub cache (the layout ``huggingface_hub`` reads offline).

``<cache>/models--<org>--<name>/`` holds ``blobs/<sha256>`` (file contents), ``snapshots/<rev>/<path>``
(symbolic links to the blobs, or copies where links are not allowed) and ``refs/main`` (the text
``<rev>``). With ``HF_HUB_CACHE=<cache>`` and ``HF_HUB_OFFLINE=1``, ``from_pretrained(repo_id)``,
``hf_hub_download`` and ``snapshot_download`` resolve ``main`` to that snapshot without the network.
The revision is a digest of the files, so rewriting the same files changes nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["repo_folder", "write_snapshot"]


def repo_folder(cache: Path, repo_id: str, repo_type: str = "model") -> Path:
    """``<cache>/<type>s--<org>--<name>``, the folder of one repository in the cache."""
    return cache / f"{repo_type}s--{repo_id.replace('/', '--')}"


def write_snapshot(
    cache: Path,
    repo_id: str,
    files: Mapping[str, bytes],
    repo_type: str = "model",
    pinned_revisions: Sequence[str] = (),
) -> Path:
    """Write ``files`` (path inside the repo -> content) as the ``main`` snapshot of ``repo_id``; return it.

    The same files also appear as the snapshots of ``pinned_revisions`` (commit hashes clients ask for
    explicitly, as with ``revision=`` in ``from_pretrained``).
    """
    folder = repo_folder(cache, repo_id, repo_type)
    revision = hashlib.sha1(
        b"".join(name.encode() + b"\0" + hashlib.sha256(content).digest() for name, content in sorted(files.items()))
    ).hexdigest()
    for pinned in pinned_revisions:
        _link_files(folder, folder / "snapshots" / pinned, files)
    snapshot = folder / "snapshots" / revision
    _link_files(folder, snapshot, files)
    refs = folder / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / "main").write_text(revision, encoding="utf-8")
    return snapshot


def _link_files(folder: Path, snapshot: Path, files: Mapping[str, bytes]) -> None:
    for name, content in files.items():
        digest = hashlib.sha256(content).hexdigest()
        blob = folder / "blobs" / digest
        if not blob.exists():
            blob.parent.mkdir(parents=True, exist_ok=True)
            partial = blob.with_suffix(".incomplete")
            partial.write_bytes(content)
            partial.replace(blob)
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        try:
            target.symlink_to(os.path.relpath(blob, target.parent))
        except OSError:  # no symbolic links on this file system: a copy reads the same
            target.write_bytes(content)
