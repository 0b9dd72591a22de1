"""Matchers: how a scenario states what a value (a step's result, a wire field) must look like.

A value spec is one of:

* a scalar, list or ``null`` — the value must equal it;
* a mapping whose keys are all matcher words — every matcher must hold:
  ``equals``, ``matches`` (regex, searched), ``contains`` (substring or element), ``one_of``,
  ``lt``/``le``/``gt``/``ge``, ``length`` (a number or a nested spec), ``present`` (true/false),
  ``type`` (``string``, ``number``, ``integer``, ``boolean``, ``list``, ``object``, ``null``), ``each``
  (a spec every element of a list must meet);
* any other mapping — a partial match of an object: each key (a dotted path such as
  ``sequences.0.tokens``) must meet its own spec; keys not named are ignored.

For wire fields (one value per selected journal entry) a spec may also use the aggregate words
``same``, ``distinct``, ``increasing`` and ``consecutive`` (each ``true``), or be a list, which is then
the exact sequence of values. Numbers carried as strings (headers) compare as numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = [
    "AGGREGATES",
    "MATCHERS",
    "MISSING",
    "check_field",
    "check_value",
    "lookup",
    "validate_spec",
]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()
MATCHERS: Final = frozenset(
    {"equals", "matches", "contains", "one_of", "lt", "le", "gt", "ge", "length", "present", "type", "each"}
)
AGGREGATES: Final = frozenset({"same", "distinct", "increasing", "consecutive"})
_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "list": (list, tuple),
    "object": (dict,),
    "null": (type(None),),
}


def lookup(value: Any, path: str) -> Any:
    """``value`` at a dotted path (``sequences.0.tokens``); MISSING when any part is absent."""
    current = value
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, Sequence) and not isinstance(current, str) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(current) <= index < len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current


def _is_matcher(spec: Any) -> bool:
    return isinstance(spec, Mapping) and bool(spec) and set(spec) <= MATCHERS


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


def _compare(word: str, actual: Any, bound: Any) -> bool:
    left, right = _number(actual), _number(bound)
    if left is None or right is None:
        return False
    return {"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}[word]


def _one_matcher(word: str, actual: Any, expected: Any, where: str) -> list[str]:
    if word == "present":
        return [] if (actual is not MISSING) == bool(expected) else [f"{where}: expected present={expected}"]
    if actual is MISSING:
        return [f"{where}: missing (expected {word} {_show(expected)})"]
    if word == "equals":
        return [] if actual == expected else [f"{where}: expected {_show(expected)}, got {_show(actual)}"]
    if word == "matches":
        ok = isinstance(actual, str) and re.search(str(expected), actual) is not None
        return [] if ok else [f"{where}: expected to match /{expected}/, got {_show(actual)}"]
    if word == "contains":
        ok = isinstance(actual, str | list | tuple | dict) and expected in actual
        return [] if ok else [f"{where}: expected to contain {_show(expected)}, got {_show(actual)}"]
    if word == "one_of":
        return [] if actual in expected else [f"{where}: expected one of {_show(expected)}, got {_show(actual)}"]
    if word in ("lt", "le", "gt", "ge"):
        ok = _compare(word, actual, expected)
        return [] if ok else [f"{where}: expected {word} {_show(expected)}, got {_show(actual)}"]
    if word == "length":
        if not isinstance(actual, str | list | tuple | dict):
            return [f"{where}: expected something with a length, got {_show(actual)}"]
        return check_value(len(actual), expected, f"len({where})")
    if word == "type":
        ok = isinstance(actual, _TYPES[expected]) and not (
            expected in ("number", "integer") and isinstance(actual, bool)
        )
        return [] if ok else [f"{where}: expected a {expected}, got {_show(actual)}"]
    if word == "each":
        if not isinstance(actual, list | tuple):
            return [f"{where}: expected a list, got {_show(actual)}"]
        return [p for i, item in enumerate(actual) for p in check_value(item, expected, f"{where}.{i}")]
    raise ValueError(f"unknown matcher {word!r}")


def check_value(actual: Any, spec: Any, where: str = "result") -> list[str]:
    """Every way ``actual`` fails ``spec`` (an empty list when it matches)."""
    if _is_matcher(spec):
        return [p for word, expected in spec.items() for p in _one_matcher(word, actual, expected, where)]
    if isinstance(spec, Mapping):
        if actual is MISSING or not isinstance(actual, Mapping | list | tuple):
            return [f"{where}: expected an object with {sorted(spec)}, got {_show(actual)}"]
        return [p for key, sub in spec.items() for p in check_value(lookup(actual, str(key)), sub, f"{where}.{key}")]
    if actual is MISSING:
        return [f"{where}: missing (expected {_show(spec)})"]
    return [] if actual == spec else [f"{where}: expected {_show(spec)}, got {_show(actual)}"]


def check_field(values: list[Any], spec: Any, where: str) -> list[str]:
    """Check the values one wire field took across the selected exchanges."""
    if isinstance(spec, list):  # the exact sequence; each element may itself be a spec
        if len(values) != len(spec):
            return [f"{where}: expected the sequence {_show(spec)}, got {_show(values)}"]
        problems = [p for i, (v, s) in enumerate(zip(values, spec, strict=True)) for p in check_value(v, s, where)]
        return [f"{where}: expected the sequence {_show(spec)}, got {_show(values)}"] if problems else []
    if isinstance(spec, Mapping) and set(spec) & AGGREGATES:
        problems = []
        per_entry = {k: v for k, v in spec.items() if k not in AGGREGATES}
        for word in sorted(set(spec) & AGGREGATES):
            if spec[word] and not _aggregate(word, values):
                problems.append(f"{where}: expected {word} values, got {_show(values)}")
        if per_entry:
            problems += check_field(values, per_entry, where)
        return problems
    return [p for i, value in enumerate(values) for p in check_value(value, spec, f"{where}[{i}]")]


def _aggregate(word: str, values: list[Any]) -> bool:
    if word == "same":
        return all(v == values[0] for v in values)
    if word == "distinct":
        return len({repr(v) for v in values}) == len(values)
    numbers = [_number(v) for v in values]
    if any(n is None for n in numbers):
        return False
    pairs = list(zip(numbers, numbers[1:], strict=False))
    if word == "increasing":
        return all(a is not None and b is not None and b > a for a, b in pairs)
    return all(a is not None and b is not None and b == a + 1 for a, b in pairs)  # consecutive


def validate_spec(spec: Any, where: str, *, aggregates: bool = False) -> None:
    """Raise ValueError naming ``where`` when a spec uses matcher words wrongly."""
    if not isinstance(spec, Mapping):
        return
    words = set(spec)
    allowed = MATCHERS | AGGREGATES if aggregates else MATCHERS
    if words & allowed and not words <= allowed:
        stray = sorted(words - allowed)
        raise ValueError(f"{where}: {stray} mixed with matcher words {sorted(words & allowed)}")
    if "type" in spec and spec["type"] not in _TYPES:
        raise ValueError(f"{where}.type: unknown type {spec['type']!r}; known: {sorted(_TYPES)}")
    if "matches" in spec:
        try:
            re.compile(str(spec["matches"]))
        except re.error as exc:
            raise ValueError(f"{where}.matches: bad regular expression: {exc}") from None
    for word in ("length", "each"):
        if word in spec:
            validate_spec(spec[word], f"{where}.{word}")
    if not words & allowed:
        for key, sub in spec.items():
            validate_spec(sub, f"{where}.{key}")
