"""``tinker-harness certify``: one Tinker-compatible server against every selected SDK generation.

For each SDK version: the official SDK's end-to-end flow (:mod:`.flow`), then every catalogue
scenario that needs nothing of the server but what a journal can give (:mod:`scenarios.needs`),
driven through the ``python_sdk.py`` adapter of that version, each scenario behind a journalling
proxy of its own (:mod:`.proxy`). Last, the server-side checks (:mod:`.server_checks`) judge
probes of their own and every exchange seen. Only the public API is used; the server is never
reset or reconfigured, so each scenario makes its own session, models and checkpoints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.journal import Journal, JournalEntry
from tinker_harness.mock_server.runner import AppServer
from tinker_harness.scenarios.adapter_process import AdapterProtocolError
from tinker_harness.scenarios.catalog import Catalog, load_catalog
from tinker_harness.scenarios.certify.flow import FlowResult, run_flow
from tinker_harness.scenarios.certify.probes import Prober
from tinker_harness.scenarios.certify.proxy import WatchingProxy
from tinker_harness.scenarios.certify.server_checks import SDK_READ_TIMEOUT, CheckResult, run_server_checks
from tinker_harness.scenarios.conform import OFFICIAL_SDK, AdapterRun, probe, run_adapter
from tinker_harness.scenarios.known_failing import KnownFailing, KnownFailure, load_known_failing
from tinker_harness.scenarios.needs import server_needs
from tinker_harness.scenarios.protocol import Hello
from tinker_harness.scenarios.schema import Scenario
from tinker_harness.scenarios.sdk_envs import SdkEnvError
from tinker_harness.scenarios.sdk_flow import flow_python
from tinker_harness.scenarios.steps import BASE_MODEL

__all__ = ["CertifyOptions", "CertifyRun", "GenerationRun", "certify", "choose_base_model", "with_base_model"]

ADAPTER = Path(__file__).resolve().parent.parent / "adapters" / "python_sdk.py"
PROVIDED = ("journal",)  # what certify gives a scenario: a journal of its exchanges, from the proxy


@dataclass(frozen=True)
class CertifyOptions:
    base_url: str
    api_key: str
    versions: tuple[str, ...]
    work_dir: Path
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    base_model: str | None = None
    jobs: int = 4
    scenarios: bool = True
    checks: bool = True
    scenario_patterns: tuple[str, ...] = ()
    step_timeout: float = 180.0
    flow_timeout: float = 900.0
    read_timeout: float = SDK_READ_TIMEOUT
    oversized_bytes: int = 1 << 31


@dataclass
class GenerationRun:
    version: str
    flow: FlowResult | None = None
    scenarios: AdapterRun | None = None
    problem: str | None = None  # why this generation could not run (its SDK would not install...)
    sdk_known: dict[str, str] = field(default_factory=dict)  # scenario id -> the SDK behaviour it fails on


KNOWN_FAILING_DIR = Path(__file__).resolve().parent.parent / "known_failing"


def sdk_known_failures(version: str, directory: Path = KNOWN_FAILING_DIR) -> KnownFailing:
    """What this SDK version fails against our own mock too (``python-sdk[-X.Y.Z].yaml``): not the server's fault."""
    entries: list[KnownFailure] = []
    for path in (directory / "python-sdk.yaml", directory / f"python-sdk-{version}.yaml"):
        if path.is_file():
            entries += load_known_failing(path).entries
    return KnownFailing(tuple(entries))


@dataclass
class CertifyRun:
    options: CertifyOptions
    base_model: str
    generations: list[GenerationRun]
    checks: list[CheckResult]
    catalog: Catalog
    selected: list[Scenario]  # the portable scenarios that ran
    excluded: dict[str, str]  # scenario id -> what it needs of the server that certify cannot give
    seconds: float


class ProxiedTarget:
    """A scenario's view of the server under test: a proxy's address and journal; no clock, no faults."""

    def __init__(self, url: str, api_key: str, journal: Journal) -> None:
        self._env = {"TINKER_BASE_URL": url, "TINKER_API_KEY": api_key}
        self._journal = journal

    @property
    def env(self) -> dict[str, str]:
        return dict(self._env)

    @property
    def journal(self) -> Journal:
        return self._journal

    @property
    def clock(self) -> Clock | None:
        return None

    @property
    def server(self) -> None:
        return None


@contextmanager
def proxy_to(base_url: str, extra_headers: Mapping[str, str]) -> Iterator[tuple[WatchingProxy, str]]:
    """A journalling proxy to ``base_url`` on a free loopback port, for the duration of the block."""
    proxy = WatchingProxy(base_url, extra_headers=extra_headers)
    server = AppServer(proxy).start()
    try:
        yield proxy, server.base_url
    finally:
        server.stop(5)


def choose_base_model(options: CertifyOptions) -> str:
    """``--base-model``, else ``Qwen/Qwen3-8B`` when the server lists it, else the first model it lists (by
    ``model_name``, or ``model_id`` where a server names them so), else ``Qwen/Qwen3-8B``; ConnectionError only
    when the server does not answer at all."""
    if options.base_model:
        return options.base_model
    with Prober(options.base_url, options.api_key, options.extra_headers) as prober:
        answer = prober.call("GET", "/api/v1/get_server_capabilities", "get_server_capabilities")
    if answer.status == 0:
        raise ConnectionError(f"no answer from {options.base_url}: {answer.error}")
    found = answer.json()
    models = found.get("supported_models") if isinstance(found, dict) else None
    names = [
        str(m.get("model_name") or m.get("model_id")) for m in models or [] if isinstance(m, dict)
        if m.get("model_name") or m.get("model_id")
    ]  # fmt: skip
    return BASE_MODEL if BASE_MODEL in names or not names else names[0]


def _replace(value: Any, old: str, new: str) -> Any:
    if value == old:
        return new
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    return value


def with_base_model(scenario: Scenario, base_model: str) -> Scenario:
    """``scenario`` with the catalogue's default base model replaced by the one the server serves."""
    if base_model == BASE_MODEL:
        return scenario
    data = scenario.model_dump(mode="json", by_alias=True)
    data["steps"] = _replace(data["steps"], BASE_MODEL, base_model)  # not setup.server: that is our mock's
    return Scenario.model_validate(data)


def portable_scenarios(catalog: Catalog, patterns: Sequence[str]) -> tuple[list[Scenario], dict[str, str]]:
    chosen = catalog.select(patterns) if patterns else list(catalog.scenarios)
    selected, excluded = [], {}
    for scenario in chosen:
        needs = {k: v for k, v in server_needs(scenario).items() if k not in PROVIDED}
        if needs:
            excluded[scenario.id] = "; ".join(f"{k} ({v})" for k, v in needs.items())
        else:
            selected.append(scenario)
    return selected, excluded


def _run_scenarios(
    version: str, scenarios: list[Scenario], options: CertifyOptions, log: Callable[[str], None]
) -> AdapterRun:
    command = [flow_python(version), str(ADAPTER)]
    hello: Hello = probe(command)

    @contextmanager
    def targets() -> Iterator[ProxiedTarget]:
        with proxy_to(options.base_url, options.extra_headers) as (proxy, url):
            yield ProxiedTarget(url, options.api_key, proxy.journal)

    def progress(result: Any) -> None:
        log(f"  {version} {result.status:<11} {result.scenario_id} ({result.seconds:.1f}s)")

    work = options.work_dir / f"scenarios-{version}"
    return run_adapter(scenarios, command, hello, jobs=options.jobs, work_dir=work, on_result=progress, targets=targets)


def certify(options: CertifyOptions, log: Callable[[str], None] = lambda _: None) -> CertifyRun:
    """Run everything; never raises for what the server does (only for a server that cannot be reached)."""
    started = time.monotonic()
    base_model = choose_base_model(options)
    catalog = load_catalog()
    selected, excluded = portable_scenarios(catalog, options.scenario_patterns)
    selected = [with_base_model(s, base_model) for s in selected]
    generations: list[GenerationRun] = []
    entries: list[JournalEntry] = []
    for version in options.versions:
        generation = GenerationRun(version)
        generations.append(generation)
        log(f"tinker {version}: end-to-end flow ...")
        try:
            with proxy_to(options.base_url, options.extra_headers) as (proxy, url):
                generation.flow = run_flow(
                    version, proxy, url, options.api_key, work_dir=options.work_dir, base_model=base_model,
                    step_timeout=options.step_timeout, timeout=options.flow_timeout,
                )  # fmt: skip
                entries += proxy.journal.entries()
            if options.scenarios and selected:
                log(f"tinker {version}: {len(selected)} scenarios ...")
                generation.scenarios = _run_scenarios(version, selected, options, log)
                entries += [e for r in generation.scenarios.results for e in r.entries]
                known = sdk_known_failures(version)
                for result in generation.scenarios.results:
                    reason = known.reason(result.scenario_id, OFFICIAL_SDK, version)
                    if reason is not None:
                        generation.sdk_known[result.scenario_id] = reason
        except (SdkEnvError, AdapterProtocolError) as exc:
            generation.problem = f"{type(exc).__name__}: {exc}"
            log(f"tinker {version}: {generation.problem}")
    checks: list[CheckResult] = []
    if options.checks:
        log("server-side checks ...")
        checks = run_server_checks(
            options.base_url, options.api_key, options.extra_headers, base_model, lambda: entries,
            read_timeout=options.read_timeout, oversized_bytes=options.oversized_bytes,
        )  # fmt: skip
    return CertifyRun(options, base_model, generations, checks, catalog, selected, excluded, time.monotonic() - started)
