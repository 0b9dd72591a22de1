"""The ``tinker`` command line: the click command tree of ``tinker.cli.__main__:cli``."""

from __future__ import annotations

import importlib
from typing import Any

from ._common import json_default, location_of

__all__ = ["collect"]


def _param_type(param: Any) -> str:
    kind = getattr(param, "type", None)
    return str(getattr(kind, "name", type(kind).__name__)).lower()


def _command(path: str, command: Any) -> dict[str, Any]:
    import click

    options, arguments = [], []
    for param in command.params:
        if isinstance(param, click.Option):
            default = param.default if not callable(param.default) else None
            options.append(
                {
                    "name": param.name or "",
                    "flags": sorted(list(param.opts) + list(param.secondary_opts)),
                    "default": json_default(default)[0],
                    "required": bool(param.required),
                    "is_flag": bool(param.is_flag),
                    "multiple": bool(param.multiple),
                    "type": _param_type(param),
                }
            )
        elif isinstance(param, click.Argument):
            arguments.append({"name": param.name or "", "required": bool(param.required), "nargs": int(param.nargs)})
    callback = command.callback
    help_text = (command.help or command.short_help or "").strip().splitlines()
    return {
        "path": path,
        "is_group": isinstance(command, click.Group),
        "help": help_text[0] if help_text else None,
        "options": sorted(options, key=lambda o: o["name"]),
        "arguments": arguments,
        "location": location_of(callback) if callback is not None else {"file": "?", "line": 0},
    }


def collect(notes: list[str]) -> list[dict[str, Any]]:
    try:
        import click

        module = importlib.import_module("tinker.cli.__main__")
    except Exception as exc:  # noqa: BLE001 - an SDK without a CLI has an empty CLI surface
        notes.append(f"cli: not introspected ({type(exc).__name__}: {exc})")
        return []
    # The console script (``tinker = tinker.cli.__main__:cli``) may be a plain function wrapping
    # the click group, so take the module's click group itself.
    groups = [v for v in vars(module).values() if isinstance(v, click.Group)]
    if not groups:
        notes.append("cli: tinker.cli.__main__ defines no click group")
        return []
    root = groups[0]
    out: list[dict[str, Any]] = []

    def walk(path: str, command: Any) -> None:
        out.append(_command(path, command))
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    walk(f"{path} {name}".strip(), sub)

    walk("", root)
    return sorted(out, key=lambda c: c["path"])
