"""The Elixir side of parity reports: a tree-sitter extractor of an Elixir port's public surface."""

from __future__ import annotations

from .extract import extract_port, source_files
from .model import PortSurface

__all__ = ["PortSurface", "extract_port", "source_files"]
