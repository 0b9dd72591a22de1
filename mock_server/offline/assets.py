"""``write_offline_assets``: the Hub-cache tree, the dataset folders and the environment that selects them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from safetensors.numpy import save as save_safetensors

from tinker_harness.mock_server.model import BaseWeights
from tinker_harness.mock_server.offline.datasets import offline_completion_plan, write_datasets
from tinker_harness.mock_server.offline.hub_cache import write_snapshot
from tinker_harness.mock_server.offline.tokenizer_files import model_repo_files
from tinker_harness.mock_server.peft_layout import base_model_tensors
from tinker_harness.mock_server.served_models import SERVED_MODELS, ServedModel, served_model
from tinker_harness.mock_server.standin_tokenizer import family_tokenizer

__all__ = ["OfflineAssets", "write_offline_assets"]


@dataclass(frozen=True)
class OfflineAssets:
    """Where the stand-ins are; run clients with :attr:`env` and :attr:`datasets` as working directory."""

    root: Path

    @property
    def hub_cache(self) -> Path:
        return self.root / "hub"

    @property
    def datasets(self) -> Path:
        return self.root / "datasets"

    @property
    def hf_home(self) -> Path:
        return self.root / "hf-home"

    @property
    def completion_plan(self) -> Path:
        """A completion plan answering the stand-in gsm8k's questions and the cookbook's arithmetic sums
        (``serve --completion-plan``)."""
        return self.root / "completion-plan.json"

    @property
    def env(self) -> dict[str, str]:
        """Hub files from the cache only, datasets from the working directory, nothing from the network."""
        return {
            "HF_HOME": str(self.hf_home),
            "HF_HUB_CACHE": str(self.hub_cache),
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
        }


def _model_repos(model: ServedModel) -> dict[str, dict[str, bytes]]:
    """The repositories a client loads for ``model``: its own, and its tokenizer's if that is another."""
    repos = {model.name: model_repo_files(model, eos=model.family.eos(model.is_chat))}
    if model.tokenizer_repo != model.name:
        repos[model.tokenizer_repo] = model_repo_files(model, eos=model.eos)
    return repos


def write_offline_assets(root: Path, models: Iterable[str] | None = None, weights: Iterable[str] = ()) -> OfflineAssets:
    """Write stand-ins for ``models`` (default: every served model whose tokenizer comes from the Hub).

    The models named in ``weights`` also get ``model.safetensors``: the mock's base weights for that
    model in the naming its exported adapters use (:mod:`mock_server.peft_layout`), about 9 MB each,
    what tinker-cookbook's ``weights.build_lora_adapter`` reads. Raises ``ValueError`` naming a model
    that is not served or whose tokenizer is not a Hub tokenizer.
    """
    chosen = [m for m in SERVED_MODELS if m.hub_tokenizer] if models is None else [_hub_model(n) for n in models]
    with_weights = {_hub_model(name).name for name in weights}
    chosen += [served for name in sorted(with_weights - {m.name for m in chosen}) if (served := served_model(name))]
    assets = OfflineAssets(root.resolve())
    for model in chosen:
        for repo_id, files in _model_repos(model).items():
            if repo_id == model.name and model.name in with_weights:
                files = {**files, "model.safetensors": _base_weights_file(model)}
            pinned = model.pinned_revisions if repo_id == model.name else ()
            write_snapshot(assets.hub_cache, repo_id, files, pinned_revisions=pinned)
    write_datasets(assets.datasets)
    assets.completion_plan.write_text(json.dumps(offline_completion_plan(), indent=1) + "\n", encoding="utf-8")
    assets.hf_home.mkdir(parents=True, exist_ok=True)
    return assets


def _base_weights_file(model: ServedModel) -> bytes:
    vocab_size = family_tokenizer(model.family_name).get_vocab_size(with_added_tokens=True)
    tensors = base_model_tensors(BaseWeights.for_model(model.name, vocab_size), vision=model.vision)
    return save_safetensors(tensors, metadata={"format": "pt"})


def _hub_model(name: str) -> ServedModel:
    model = served_model(name)
    if model is None:
        raise ValueError(f"{name!r} is not a served model (see get_server_capabilities)")
    if not model.hub_tokenizer:
        raise ValueError(f"{name!r} is tokenized by tml-renderers, not from the Hugging Face Hub")
    return model
