"""One async httpx load driver for both servers: fixed concurrency on a simple GET for a fixed time."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

import httpx

CONCURRENCY = 16
WARM_UP_SECONDS = 0.5
SECONDS = 4.0


class LoadFailed(RuntimeError):
    """Not one request of a load run succeeded."""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def _worker(
    client: httpx.AsyncClient, path: str, until: float, latencies: list[float], errors: list[str]
) -> None:
    while (started := time.perf_counter()) < until:
        try:
            response = await client.get(path)
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        if response.status_code == 200:
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(f"{response.status_code}: {response.text[:200]}")


async def _drive(base_url: str, path: str, api_key: str, seconds: float, concurrency: int) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"X-API-Key": api_key}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) as client:
        warm_until = time.perf_counter() + WARM_UP_SECONDS
        await asyncio.gather(*(_worker(client, path, warm_until, [], []) for _ in range(concurrency)))
        latencies: list[float] = []
        errors: list[str] = []
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(_worker(client, path, until, latencies, errors) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if not latencies:
        raise LoadFailed(f"GET {base_url}{path}: no request succeeded; first error: {errors[:1]}")
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return LoadResult(len(latencies), len(errors), elapsed, cuts[49] * 1000, cuts[98] * 1000)


def measure(
    base_url: str, path: str, api_key: str, seconds: float = SECONDS, concurrency: int = CONCURRENCY
) -> LoadResult:
    """Requests per second and latency percentiles of ``GET path`` with ``concurrency`` requests in flight."""
    return asyncio.run(_drive(base_url, path, api_key, seconds, concurrency))
