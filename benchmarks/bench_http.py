"""JSON endpoints under load: the mock (``tinker-harness serve``) against Stoplight Prism, and the mock under
other ASGI servers.

Both servers run as child processes side by side; for each endpoint and concurrency the same wrk
load runs against the mock and then against Prism, so noise on a shared machine hits both alike.
Every request is valid for both servers (Prism validates requests against the generated OpenAPI
document); an answer outside 2xx/3xx counts as an error. On a 2-core machine wrk competes with
the server for CPU, which caps both servers' figures.
"""

from __future__ import annotations

import json

import httpx

from benchmarks.measure import Result
from benchmarks.prism import prism_server, prism_version
from benchmarks.processes import ServerProcess, mock_cli, mock_variant
from benchmarks.variants import VARIANTS, installed
from benchmarks.wrk import LoadRun, Request, run_load

CONCURRENCY = (1, 16, 64)
API_KEY = "tml-benchmark"
AUTH = {"X-API-Key": API_KEY}
SESSION_BODY = json.dumps({"tags": ["bench"], "user_metadata": {}, "sdk_version": "0.38.0"})
SUMMARY = "JSON endpoints: mock ÷ Prism (wrk, same load for both)"
RUNS = "JSON endpoints: every run"
OPTIONS = "Mock under other ASGI servers (GET /api/v1/get_server_capabilities)"


def endpoint_requests(base_url: str) -> dict[str, Request]:
    """One valid request per endpoint; the heartbeat names a session just created on that server (the mock
    expires a session after 120 s without a heartbeat, protocol §4.3)."""
    created = httpx.post(f"{base_url}/api/v1/create_session", content=SESSION_BODY, headers=_json_headers())
    created.raise_for_status()
    heartbeat = json.dumps({"session_id": created.json()["session_id"]})
    return {
        "GET /healthz": Request("GET", "/api/v1/healthz"),
        "GET /get_server_capabilities": Request("GET", "/api/v1/get_server_capabilities", headers=AUTH),
        "POST /create_session": Request("POST", "/api/v1/create_session", SESSION_BODY, AUTH),
        "POST /session_heartbeat": Request("POST", "/api/v1/session_heartbeat", heartbeat, AUTH),
    }


def _json_headers() -> dict[str, str]:
    return {**AUTH, "Content-Type": "application/json"}


def check_answers(server: ServerProcess, requests: dict[str, Request]) -> None:
    """Every request must succeed once before it is put under load."""
    for label, r in requests.items():
        headers = {**r.headers, **({"Content-Type": "application/json"} if r.body else {})}
        answer = httpx.request(r.method, server.base_url + r.path, content=r.body, headers=headers)
        if not answer.is_success:
            raise RuntimeError(f"{server.label} answers {answer.status_code} to {label}: {answer.text[:300]}")


def compare(seconds: float) -> list[Result]:
    results: list[Result] = []
    with mock_cli() as mock, prism_server() as prism:
        servers = (mock, prism)
        loads = {s.label: endpoint_requests(s.base_url) for s in servers}
        for s in servers:
            check_answers(s, loads[s.label])
            run_load(s.base_url, list(loads[s.label].values()), connections=16, seconds=2)  # warm-up
        for endpoint in loads["mock"]:
            for connections in CONCURRENCY:
                runs: dict[str, LoadRun] = {}
                for s in servers:
                    request = endpoint_requests(s.base_url)[endpoint]  # a fresh session: the mock expires idle ones
                    runs[s.label] = run_load(s.base_url, [request], connections=connections, seconds=seconds)
                    results.append(_run_row(f"{s.label}: {endpoint} ×{connections}", runs[s.label]))
                results.append(_ratio_row(endpoint, connections, runs["mock"], runs["Prism"]))
                if connections == 16:
                    results.append(_p99_row(endpoint, runs["mock"]))
        rss = {s.label: s.rss_mb() for s in servers}
    results.append(
        Result(
            "resident memory after the load runs: mock ÷ Prism",
            rss["mock"] / rss["Prism"],
            "×",
            "",
            f"mock {rss['mock']:.0f} MiB, Prism {prism_version()} {rss['Prism']:.0f} MiB",
            SUMMARY,
        )
    )
    return sorted(results, key=lambda r: r.section != SUMMARY)


def _run_row(name: str, run: LoadRun) -> Result:
    detail = f"p50 {run.p50_ms:.2f} ms, p99 {run.p99_ms:.2f} ms, {run.requests:,} requests, {run.errors} errors"
    return Result(name, run.rps, "req/s", "", detail, RUNS)


def _ratio_row(endpoint: str, connections: int, mock: LoadRun, prism: LoadRun) -> Result:
    errors = f"; {mock.errors + prism.errors} errors" if mock.errors or prism.errors else ""
    return Result(
        f"{endpoint} ×{connections}: throughput mock ÷ Prism",
        mock.rps / prism.rps if prism.rps else float("nan"),
        "×",
        "≥ 3×" if connections == 16 else "",
        f"mock {mock.rps:,.0f} req/s (p99 {mock.p99_ms:.1f} ms), Prism {prism.rps:,.0f} req/s "
        f"(p99 {prism.p99_ms:.1f} ms){errors}",
        SUMMARY,
    )


def _p99_row(endpoint: str, mock: LoadRun) -> Result:
    detail = f"p50 {mock.p50_ms:.2f} ms, {mock.rps:,.0f} req/s, {mock.errors} errors"
    return Result(f"{endpoint} ×16: mock p99 latency", mock.p99_ms, "ms", "< 10 ms", detail, SUMMARY)


def server_options(seconds: float, quick: bool) -> list[Result]:
    request = Request("GET", "/api/v1/get_server_capabilities", headers=AUTH)
    results = []
    for variant, (_, description) in VARIANTS.items():
        if not installed(variant):
            results.append(Result(variant, float("nan"), "", "", f"{description}: not installed", OPTIONS))
            continue
        with mock_variant(variant) as server:
            run_load(server.base_url, [request], connections=16, seconds=1)  # warm-up
            for connections in (16,) if quick else (16, 64):
                run = run_load(server.base_url, [request], connections=connections, seconds=seconds)
                detail = f"{description}; {run.describe()}; RSS {server.rss_mb():.0f} MiB"
                results.append(Result(f"{variant} ×{connections}", run.rps, "req/s", "", detail, OPTIONS))
    return results


def run(quick: bool = False) -> list[Result]:
    seconds = 3 if quick else 10
    return compare(seconds) + server_options(seconds, quick)
