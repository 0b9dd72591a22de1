"""nox sessions: what CI runs, plus heavier matrices and benchmarks.

nox -s tests        # the default test run (pytest -n auto)
nox -s typecheck    # mypy --strict on every package
nox -s lint         # ruff check + ruff format --check
nox -s benchmarks   # speed and memory targets; prints the README table
nox -s conformance_versions  # the scenario catalogue against every official SDK version
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "typecheck", "lint"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", *session.posargs)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("mypy")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


SDK_VERSIONS = ("0.15.0", "0.22.0", "0.30.4", "0.38.0")


@nox.session(python=PYTHON)
def sdk_matrix(session: nox.Session) -> None:
    """The end-to-end flow with every verified official SDK version, each in its own virtual environment."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "tests/versions", env={"TINKER_HARNESS_SDK_VERSIONS": ",".join(SDK_VERSIONS)})


@nox.session(python=PYTHON)
def conformance_versions(session: nox.Session) -> None:
    """The scenario catalogue against every official SDK generation (tinker-harness conform, one venv each)."""
    session.install("-e", ".[test]")
    adapters = []
    for version in SDK_VERSIONS:
        python = session.run("python", "-m", "scenarios.sdk_envs", version, silent=True)
        adapters += ["--adapter", f"{str(python).strip()} scenarios/adapters/python_sdk.py"]
    session.run(
        "tinker-harness",
        "conform",
        *adapters,
        "--known-failing",
        "scenarios/known_failing/python-sdk.yaml",
        "--out",
        "reports/output/conformance-versions",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def benchmarks(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "benchmarks", *session.posargs)
