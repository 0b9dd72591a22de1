"""The user's own contracts.catalogue: which base models their training jobs may use."""

BASE_MODELS = ("Qwen/Qwen3-8B",)
