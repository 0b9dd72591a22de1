"""Loading the scenario catalog: YAML files → validated :class:`~scenarios.schema.Scenario` objects.

Every ``*.yaml`` of the catalog directory (``scenarios/catalog`` by default) is one suite. Steps
may be written in their short form (``- forward_backward: {data: three}`` or a bare ``- close``);
they are normalised to ``{op, args, ...modifiers}`` before validation, keeping track of lines, so
every problem is reported as ``file:line: scenario <id> field: problem`` (:class:`ScenarioFileError`).
Scenario ids must be unique across the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tinker_harness.scenarios.patterns import select_ids
from tinker_harness.scenarios.schema import Scenario, Suite
from tinker_harness.scenarios.steps import MODIFIERS, STEP_OPS
from tinker_harness.scenarios.yaml_lines import Located, Path_, ScenarioFileError, line_for, load_located_file, relocate

__all__ = ["CATALOG_DIR", "Catalog", "load_catalog", "load_suite_file"]

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
_RELATIVE = re.compile(r"^((?:[a-z_]+|\d+)(?:\.(?:[a-z_]+|\d+))*): (.*)$", re.DOTALL)


@dataclass(frozen=True)
class Catalog:
    """All scenarios of a catalog directory, in file then file-order."""

    scenarios: tuple[Scenario, ...]
    sources: dict[str, str]  # scenario id -> "file:line"

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.scenarios]

    def get(self, scenario_id: str) -> Scenario:
        for scenario in self.scenarios:
            if scenario.id == scenario_id:
                return scenario
        raise KeyError(scenario_id)

    def select(self, patterns: Sequence[str]) -> list[Scenario]:
        chosen = set(select_ids(self.ids, patterns))
        return [s for s in self.scenarios if s.id in chosen]


def _normalise_step(raw: Any, where: Path_, located: Located) -> Any:
    """``"close"`` / ``{op_name: args, as: ...}`` → ``{"op": op_name, "args": args, ...}``."""
    if isinstance(raw, str):
        if raw not in STEP_OPS:
            raise _error(located, where, f"unknown step {raw!r}; steps are {sorted(STEP_OPS)}")
        return {"op": raw}
    if not isinstance(raw, dict) or "op" in raw:
        return raw
    # ``await`` is both a modifier (``await: false``) and an operation (``await: {ref: name}``).
    keys = [k for k in raw if k not in MODIFIERS or (k == "await" and isinstance(raw[k], dict))]
    if len(keys) != 1:
        problem = "no operation" if not keys else f"several operations {keys}"
        raise _error(located, where, f"a step has exactly one operation key, found {problem}")
    op = keys[0]
    if op not in STEP_OPS:
        raise _error(located, (*where, op), f"unknown step {op!r}; steps are {sorted(STEP_OPS)}")
    relocate(located.lines, (*where, op), (*where, "args"))
    located.lines.setdefault((*where, "op"), located.lines.get((*where, op), 0))
    args = raw[op]
    if args is not None and not isinstance(args, dict):
        raise _error(located, (*where, op), f"the arguments of {op!r} must be a mapping")
    modifiers = {k: v for k, v in raw.items() if k != op}
    return {"op": op, "args": args or {}, **modifiers}


def _normalised(located: Located) -> Any:
    data = located.data
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        return data
    scenarios = []
    for i, scenario in enumerate(data["scenarios"]):
        if isinstance(scenario, dict) and isinstance(scenario.get("steps"), list):
            steps = [_normalise_step(s, ("scenarios", i, "steps", j), located) for j, s in enumerate(scenario["steps"])]
            scenario = {**scenario, "steps": steps}
        scenarios.append(scenario)
    return {**data, "scenarios": scenarios}


def _error(located: Located, where: Path_, problem: str) -> ScenarioFileError:
    return ScenarioFileError(located.source, line_for(located.lines, where), _describe(located, where), problem)


def _describe(located: Located, loc: Sequence[str | int]) -> str:
    """``scenario 'a/b' steps.2.args.data`` for a location inside scenario 2 of the file."""
    parts = [str(p) for p in loc if not (isinstance(p, str) and p in STEP_OPS)]
    data = located.data
    if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int) and isinstance(data, dict):
        entries = data.get("scenarios")
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        label = f"scenario {name!r}" if isinstance(name, str) else f"scenarios.{loc[1]}"
        rest = ".".join(parts[2:])
        return f"{label} {rest}".strip()
    return ".".join(parts)


def _located_error(located: Located, exc: ValidationError) -> ScenarioFileError:
    first = exc.errors(include_url=False)[0]
    loc: list[str | int] = list(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    relative = _RELATIVE.match(message)
    if relative is not None:  # "steps.3.args.ref: ..." from a model validator: refine the location
        loc += [int(p) if p.isdigit() else p for p in relative.group(1).split(".")]
        message = relative.group(2)
    more = len(exc.errors()) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''} in this file)"
    return ScenarioFileError(located.source, line_for(located.lines, loc), _describe(located, loc), message)


def load_suite_file(path: Path) -> tuple[Suite, dict[str, int]]:
    """One catalog file: the suite and the line where each of its scenarios starts."""
    located = load_located_file(path)
    try:
        suite = Suite.model_validate(_normalised(located))
    except ValidationError as exc:
        raise _located_error(located, exc) from None
    lines = {s.id: located.lines.get(("scenarios", i), 0) for i, s in enumerate(suite.scenarios)}
    return suite, lines


def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """Every suite of ``directory``; duplicate ids and unreadable files raise :class:`ScenarioFileError`."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ScenarioFileError(str(directory), None, "", "no scenario files (*.yaml) in this directory")
    scenarios: list[Scenario] = []
    sources: dict[str, str] = {}
    for path in files:
        suite, lines = load_suite_file(path)
        for scenario in suite.scenarios:
            if scenario.id in sources:
                raise ScenarioFileError(
                    str(path),
                    lines[scenario.id],
                    f"scenario {scenario.id!r} id",
                    f"already defined at {sources[scenario.id]}",
                )
            sources[scenario.id] = f"{path}:{lines[scenario.id]}"
            scenarios.append(scenario)
    return Catalog(tuple(scenarios), sources)
