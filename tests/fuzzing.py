"""Budgets and reproducers for the property tests: small and seeded in CI, large and random under ``nox -s fuzz``.

``TINKER_HARNESS_FUZZ_EXAMPLES`` overrides a test's example budget and ``TINKER_HARNESS_FUZZ_SEED`` picks
its seed (unset: CI's fixed, derandomized run). When a test fails with a seed set, the program hypothesis
shrank it to is written to ``reports/output/fuzz/<name>-<seed>.py``: a script that replays the failure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "reports" / "output" / "fuzz"


@dataclass(frozen=True)
class Budget:
    examples: int
    seed: int | None


def budget(examples: int) -> Budget:
    """The CI budget, or the fuzz session's from the environment."""
    raw_examples = os.environ.get("TINKER_HARNESS_FUZZ_EXAMPLES")
    raw_seed = os.environ.get("TINKER_HARNESS_FUZZ_SEED")
    return Budget(int(raw_examples) if raw_examples else examples, int(raw_seed) if raw_seed else None)


@contextmanager
def reproducer_on_failure(name: str, plan: Budget, imports: str) -> Iterator[None]:
    """On failure, save hypothesis's minimal program (its exception notes) as a runnable script."""
    try:
        yield
    except Exception as exc:
        failures = list(exc.exceptions) if isinstance(exc, ExceptionGroup) else [exc]
        OUT.mkdir(parents=True, exist_ok=True)
        for index, failure in enumerate(failures):
            suffix = f"-{index + 1}" if len(failures) > 1 else ""
            path = OUT / f"{name}-{plan.seed if plan.seed is not None else 'ci'}{suffix}.py"
            path.write_text(_script(path, failure, plan, imports), encoding="utf-8")
            print(f"reproducer written to {path}", file=sys.stderr)
        raise


def _script(path: Path, failure: BaseException, plan: Budget, imports: str) -> str:
    # Hypothesis's own notes name the failing call (over several lines for @given tests); the program is the rest.
    own = ("Falsifying", "Failing ", "You can reproduce")
    notes = [n for n in getattr(failure, "__notes__", []) if not n.startswith(own)]
    program = [line for note in notes for line in note.splitlines() if not line.startswith(own)]
    summary = f"{type(failure).__name__}: {str(failure).splitlines()[0] if str(failure) else ''}"
    header = [
        f'"""Reproducer: {summary[:300]}',
        "",
        f"Found with TINKER_HARNESS_FUZZ_SEED={plan.seed}. Replay from the repository root:",
        f"    python {path.relative_to(ROOT)}",
        '"""',
        "import sys",
        "",
        'sys.path[:0] = [".", "tests", "tests/properties"]',
        imports,
        "",
    ]
    return "\n".join(header + program) + "\n"
