"""Name normalisation between the Python SDK and an Elixir port.

* Modules: ``ServiceClient`` ↔ ``<App>.ServiceClient``; ``types.SampleRequest`` ↔
  ``<App>.Types.SampleRequest`` (or any module of that last name that defines a struct).
* Functions: the same snake_case name with the receiver as first argument
  (``create_lora_training_client/3``); ``x_async`` ↔ ``x_async`` or a ``Task``-returning ``x``;
  a ``get_`` prefix dropped in Elixir (``get_tokenizer`` ↔ ``tokenizer``) is a naming gap.
* Paths: ``{name}`` and ``#{expr}`` placeholders both become ``{}``.
"""

from __future__ import annotations

import re
from collections import Counter

from tinker_harness.reports.elixir.model import Module, PortSurface

__all__ = ["detect_app", "find_module", "normalise_path", "snake"]

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def normalise_path(path: str) -> str:
    """``/api/v1/training_runs/{training_run_id}`` and ``…/#{id}`` → ``/api/v1/training_runs/{}``."""
    return _PLACEHOLDER.sub("{}", path).rstrip("/")


def detect_app(port: PortSurface) -> str:
    """The port's root namespace: the most common first segment of its module names."""
    counts = Counter(m.name.split(".")[0] for m in port.modules if not m.name.startswith("Mix."))
    return counts.most_common(1)[0][0] if counts else ""


def find_module(port: PortSurface, candidates: list[str], last: str, need_struct: bool = False) -> Module | None:
    """The first module named in ``candidates``, else the only module whose last segment is ``last``."""
    by_name = {m.name: m for m in port.modules}
    for name in candidates:
        if name in by_name and (not need_struct or by_name[name].struct is not None):
            return by_name[name]
    tail = [m for m in port.modules if m.name.rsplit(".", 1)[-1] == last and (not need_struct or m.struct is not None)]
    return tail[0] if len(tail) == 1 else None
