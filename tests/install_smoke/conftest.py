"""The install smoke test's user project is run by ``nox -s install_smoke`` in its own venv, not collected here."""

collect_ignore = ["user_project"]
