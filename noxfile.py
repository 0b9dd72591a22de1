"""nox sessions: what CI runs, plus heavier matrices and benchmarks.

nox -s tests        # the default test run (pytest -n auto)
nox -s typecheck    # mypy --strict on every package
nox -s lint         # ruff check + ruff format --check
nox -s imports      # import-linter: the layers import only downward
nox -s install_smoke  # the wheel alone in a fresh venv beside a user project: serve, conform, pytest + SDK
nox -s benchmarks   # speed and memory targets; writes reports/benchmarks/latest.{json,md}
nox -s bench_skyrl_tx      # the mock against skyrl-tx, a real Tinker server (large venv, not in CI)
nox -s fuzz         # property tests and schemathesis with a large budget and a random seed
nox -s conformance_versions  # the scenario catalogue against every official SDK version
nox -s cookbook     # tinker-cookbook 0.6.1's basic recipes, unmodified, offline against the mock
"""

from __future__ import annotations

import ast
import os
import random
import shlex
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests", "typecheck", "lint"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
ROOT = Path(__file__).resolve().parent
# Every install uses the exact versions of constraints.txt.
CONSTRAINTS = ("-c", str(ROOT / "constraints.txt"))
SMOKE = ROOT / "tests" / "install_smoke"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "-e", ".[test]")
    session.run("pytest", "-n", "auto", *session.posargs)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "-e", ".[test]")
    session.run("mypy")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def imports(session: nox.Session) -> None:
    """The layers import only downward (import-linter, [tool.importlinter] in pyproject.toml)."""
    session.install(*CONSTRAINTS, "-e", ".", "import-linter")
    session.run("lint-imports")


@nox.session(python=PYTHON, reuse_venv=False)
def install_smoke(session: nox.Session) -> None:
    """The built wheel, installed alone into a fresh venv beside a user project with its own ``contracts`` and
    ``scenarios`` packages: the commands (tests/install_smoke/cli_checks.py) and one ``conform`` scenario
    without pytest, then the user's pytest run with the plugin's fixture and the official SDK."""
    tmp = Path(session.create_tmp())
    dist = tmp / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT))
    (wheel,) = dist.glob("tinker_harness-*.whl")
    session.install(*CONSTRAINTS, str(wheel))
    project = tmp / "user_project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(SMOKE / "user_project", project)
    session.chdir(project)
    env = {"PYTHONPATH": "", "TMPDIR": str(tmp / "scratch"), "HOME": str(tmp / "home")}
    shutil.rmtree(env["TMPDIR"], ignore_errors=True)
    os.makedirs(env["TMPDIR"])
    # The runtime install alone: no pytest, nothing from the repository on the path.
    session.run("python", "-c", "import importlib.util as u; assert u.find_spec('pytest') is None", env=env)
    session.run("tinker-harness", "--version", env=env)
    session.run("python", str(SMOKE / "cli_checks.py"), env=env)
    out = tmp / "conformance"
    session.run(
        "tinker-harness",
        "conform",
        "--adapter",
        "python -m tinker_harness.scenarios.adapters.reference_client",
        "--scenarios",
        "bootstrap/startup-order",
        "--jobs",
        "1",
        "--out",
        str(out),
        env=env,
    )
    leftovers = sorted(os.listdir(env["TMPDIR"]))
    if leftovers or not (out / "conformance.json").exists():
        session.error(f"conform left {leftovers} in its temporary directory or wrote no conformance.json")
    # The user's own test run: pytest and the official SDK beside the wheel.
    session.install(*CONSTRAINTS, "pytest", "tinker==0.38.0")
    session.run("pytest", "-q", env=env)


def _break_points() -> tuple[str, ...]:
    """contracts.surface.profile.BREAK_POINTS, read from its source: nox's own interpreter may not have the
    package (or pydantic) installed, so the assignment is parsed instead of imported."""
    tree = ast.parse((ROOT / "contracts" / "surface" / "profile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "BREAK_POINTS":
            assert node.value is not None
            return tuple(ast.literal_eval(node.value))
    raise RuntimeError("contracts/surface/profile.py no longer assigns BREAK_POINTS")


# Every wire break point, the one list contracts keeps.
SDK_VERSIONS = _break_points()


@nox.session(python=PYTHON)
def sdk_matrix(session: nox.Session) -> None:
    """The end-to-end flow with every break-point SDK version over each of its transports, each version in its
    own virtual environment (built in parallel by the tests; cached under $TINKER_HARNESS_SDK_ENVS)."""
    session.install(*CONSTRAINTS, "-e", ".[test]")
    session.run("pytest", "-n", "auto", "tests/versions", env={"TINKER_HARNESS_SDK_VERSIONS": ",".join(SDK_VERSIONS)})


@nox.session(python=PYTHON)
def conformance_versions(session: nox.Session) -> None:
    """The scenario catalogue against every break-point SDK version (one venv each, three adapters at once),
    with each version's known-failing list from scenarios/known_failing/. ``-- 0.15.0 0.38.0`` picks versions."""
    session.install(*CONSTRAINTS, "-e", ".[test]")
    versions = [a for a in session.posargs if a[:1].isdigit()] or list(SDK_VERSIONS)
    pythons = session.run("python", "-m", "tinker_harness.scenarios.sdk_envs", *versions, silent=True)
    # The SDK venvs have no torch; the custom-loss scenario borrows this session's.
    torch = session.run(
        "python", "-c", "import torch, pathlib; print(pathlib.Path(torch.__file__).parent.parent)", silent=True
    )
    adapter = "scenarios/adapters/python_sdk.py --torch-path " + shlex.quote(str(torch).strip())
    adapters = []
    for python in str(pythons).split():
        adapters += ["--adapter", f"{shlex.quote(python)} {adapter}"]
    session.run(
        "tinker-harness",
        "conform",
        *adapters,
        "--known-failing",
        "scenarios/known_failing",
        "--parallel-adapters",
        "3",
        "--jobs",
        "6",
        "--out",
        "reports/output/conformance-versions",
        *[a for a in session.posargs if not a[:1].isdigit()],
    )


@nox.session(python=PYTHON)
def benchmarks(session: nox.Session) -> None:
    """Speed and memory targets; needs wrk and Node.js/npm (Prism). Writes reports/benchmarks/latest.{json,md}.

    nox -s benchmarks                  # everything (about 20 min)
    nox -s benchmarks -- --quick       # smoke run, a few minutes
    nox -s benchmarks -- bench_http    # only some benchmarks
    """
    session.install(*CONSTRAINTS, "-e", ".[test,bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=PYTHON)
def bench_skyrl_tx(session: nox.Session) -> None:
    """The mock against skyrl-tx (JAX on CPU, its own ~2 GB venv in benchmarks/.cache); not part of CI."""
    session.install(*CONSTRAINTS, "-e", ".[test]")
    session.run("python", "-m", "benchmarks.peer_skyrl_tx", *session.posargs)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """The property tests and schemathesis with a large budget and a random seed (or ``-- SEED``).

    A failure leaves a runnable reproducer in reports/output/fuzz/ (the shrunk program, with its seed).
    """
    session.install(*CONSTRAINTS, "-e", ".[test]")
    seed = session.posargs[0] if session.posargs else str(random.SystemRandom().randrange(2**31))
    session.log(f"fuzz seed {seed}")
    env = {"TINKER_HARNESS_FUZZ_EXAMPLES": "300", "TINKER_HARNESS_FUZZ_SEED": seed}
    session.run("pytest", "-n", "auto", "tests/properties", "tests/schema", env=env)


@nox.session(python=PYTHON)
def certify(session: nox.Session) -> None:
    """tinker-harness certify against our own server with every break-point SDK version over every portable
    scenario (one venv per version under $TINKER_HARNESS_SDK_VERSIONS); the default suite runs 0.38.0 only."""
    session.install(*CONSTRAINTS, "-e", ".[test]")
    env = {"TINKER_HARNESS_SDK_VERSIONS": ",".join(SDK_VERSIONS), "TINKER_HARNESS_CERTIFY_SCENARIOS": "all"}
    session.run("pytest", "-n", "2", "tests/certify/test_certify.py", env=env)


@nox.session(python=PYTHON)
def certify_peers(session: nox.Session) -> None:
    """Certify skyrl-tx 0.3.0 and hatchery-core 0.3.0 from PyPI (each in its own multi-GB venv, started on
    127.0.0.1) over every verified SDK generation; writes reports/peers/. Not part of CI."""
    session.install(*CONSTRAINTS, "-e", ".[test]")
    session.run("python", "-m", "benchmarks.certify_peers", *session.posargs)


COOKBOOK = "tinker-cookbook==0.6.1"


@nox.session(python=PYTHON)
def cookbook(session: nox.Session) -> None:
    """tinker-cookbook's sl_basic, sl_loop, rl_basic, rl_loop, DPO, chat_sl, prompt_distillation, math_rl and
    on-policy distillation recipes, resume, weights.download of an encrypted export and build_lora_adapter,
    unmodified and offline against the mock (tests/cookbook).

    The cookbook is installed without its dependencies (it declares tml-renderers, needed only for models the
    mock serves with its own tokenizer); the ``cookbook`` extra holds the rest.
    """
    session.install(*CONSTRAINTS, "-e", ".[cookbook]", "pytest", "hypothesis")
    session.install("--no-deps", COOKBOOK)
    # One BLAS/OpenMP thread per process: the mock and a recipe share the CI machine's two cores.
    threads = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {"TINKER_HARNESS_COOKBOOK": "1", **threads}
    session.run("pytest", "tests/cookbook", "-p", "no:cacheprovider", *session.posargs, env=env)
