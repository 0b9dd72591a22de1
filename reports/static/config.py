"""Environment variables and CLI commands/options of the SDK against the port."""

from __future__ import annotations

from tinker_harness.reports.elixir.model import CliDecl
from tinker_harness.reports.findings import Domain, Finding, Severity

from .common import Context, port_ev, py_ev

__all__ = ["compare_cli", "compare_env"]


def _default(value: object) -> str:
    return f", default {value!r}" if value is not None else ""


def compare_env(ctx: Context) -> None:
    for var in ctx.manifest.env_vars:
        if not ctx.in_scope(Domain.ENV, var.name):
            continue
        found = next((r for r in ctx.port.env_reads if r.name == var.name), None)
        python = py_ev(var.locations[0], f'os.environ.get("{var.name}")')
        ctx.item(Domain.ENV, var.name, python, port_ev(found.loc) if found else None)
        if not found:
            default = f" (SDK default {var.default!r})" if var.default else ""
            ctx.add(
                Finding.make(
                    Domain.ENV,
                    "missing-env",
                    Severity.MEDIUM,
                    var.name,
                    f"the port never reads {var.name}{default}",
                    f'Read System.get_env("{var.name}") where the SDK does ({python}).',
                    python,
                )
            )


def _port_commands(ctx: Context) -> dict[str, CliDecl]:
    commands: dict[str, CliDecl] = {}
    for decl in ctx.port.cli:
        commands.setdefault(decl.path, decl)
        words = decl.path.split()
        for n in range(1, len(words)):  # "checkpoint list" implies the group "checkpoint"
            commands.setdefault(" ".join(words[:n]), CliDecl(" ".join(words[:n]), decl.loc))
    return commands


def compare_cli(ctx: Context) -> None:
    port = _port_commands(ctx)
    for command in ctx.manifest.cli:
        if command.path == "" or command.is_group:
            continue  # the root group and sub-groups are implied by their commands
        subject = command.path
        if not ctx.in_scope(Domain.CLI, subject):
            continue
        python = py_ev(command.location, f"tinker {command.path}")
        decl = ctx.overrides.name_for(Domain.CLI.value, subject)
        found = port.get(decl or subject)
        ctx.item(Domain.CLI, subject, python, port_ev(found.loc) if found else None)
        if found is None:
            ctx.add(
                Finding.make(
                    Domain.CLI,
                    "missing-command",
                    Severity.MEDIUM,
                    subject,
                    f"CLI command `tinker {subject}` has no port equivalent",
                    f"Add a `{subject}` command (Mix task or CLI clause)"
                    + (
                        f" with options {', '.join('--' + o.name.replace('_', '-') for o in command.options)}."
                        if command.options
                        else "."
                    ),
                    python,
                )
            )
            continue
        switches = {s.replace("-", "_") for s in found.options}
        for option in command.options:
            names = {option.name} | {f.lstrip("-").replace("-", "_") for f in option.flags if f.startswith("--")}
            if option.name == "help" or names & switches:
                continue
            flag = max(option.flags, key=len) if option.flags else option.name
            ctx.add(
                Finding.make(
                    Domain.CLI,
                    "missing-option",
                    Severity.LOW,
                    f"{subject}#{option.name}",
                    f"`tinker {subject}` option {flag} is missing from the port",
                    f"Accept {flag} ({option.type}{_default(option.default)}) "
                    f"in the OptionParser switches of `{subject}`.",
                    python,
                    port_ev(found.loc, found.path),
                )
            )
