"""Environment variables a port reads, directly or through its own helper functions.

A direct read is ``System.get_env("X")`` (or ``fetch_env``/``fetch_env!``) with a literal name. A
*reader* is a function clause that passes one of its parameters to such a call, or to another
reader (``defp fetch(:system, key), do: System.get_env(key)``; ``def get(key), do: fetch(:system,
key)``). Every call of a reader with a literal string in that parameter's place, local, remote or
piped (``env |> fetch("TINKER_API_KEY")``), reads that variable.
"""

from __future__ import annotations

from .flow import ModuleScope, calls, param_name, resolve
from .model import EnvRead, Loc
from .parse import literal

__all__ = ["ENV_CALLS", "env_reads"]

ENV_CALLS = {"System.get_env", "System.fetch_env", "System.fetch_env!"}

_Reader = tuple[str, str, int]  # module, function, parameter index


def _readers(files: list[tuple[str, list[ModuleScope]]], known: set[str]) -> set[_Reader]:
    readers: set[_Reader] = set()
    forwards: list[tuple[_Reader, _Reader]] = []  # (callee param, caller param): caller is a reader if callee is
    for _, scopes in files:
        for scope in scopes:
            for clause in scope.clauses:
                for call in calls(clause):
                    for position, arg in enumerate(call.args):
                        name = param_name(arg) if arg.type == "identifier" else None
                        index = clause.param_index(name) if name else None
                        if index is None:
                            continue
                        mine = (scope.name, clause.name, index)
                        full = f"{call.qualifier}.{call.name}" if call.qualifier else call.name
                        if full in ENV_CALLS and position == 0:
                            readers.add(mine)
                            continue
                        target = resolve(call, scope, known)
                        if target is not None:
                            forwards.append(((target, call.name, position), mine))
    changed = True
    while changed:
        changed = False
        for callee, caller in forwards:
            if callee in readers and caller not in readers:
                readers.add(caller)
                changed = True
    return readers


def env_reads(files: list[tuple[str, list[ModuleScope]]], known: set[str]) -> list[EnvRead]:
    """Every variable read, with the place of the read (the helper call for indirect reads)."""
    readers = _readers(files, known)
    out: list[EnvRead] = []
    for rel, scopes in files:
        for scope in scopes:
            for clause in scope.clauses:
                for call in calls(clause):
                    full = f"{call.qualifier}.{call.name}" if call.qualifier else call.name
                    direct = full in ENV_CALLS
                    target = None if direct else resolve(call, scope, known)
                    for position, arg in enumerate(call.args):
                        value = literal(arg) if arg.type == "string" else None
                        if not isinstance(value, str) or not value:
                            continue
                        if (direct and position == 0) or (
                            target is not None and (target, call.name, position) in readers
                        ):
                            out.append(EnvRead(value, Loc(rel, arg.start_point[0] + 1)))
    return out
