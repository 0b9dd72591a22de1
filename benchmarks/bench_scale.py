"""Scale: 1,000 concurrent sessions against one `tinker-harness serve`, through the async reference client.

Each session bootstraps (config, session, heartbeat), creates a LoRA model, runs one training step
(forward_backward + optim_step), saves weights for a sampler and samples, then closes. All sessions
start at once on one event loop, each with its own HTTP connections. The server runs in its own
process; its resident memory is read from ``/proc`` every 0.1 s.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from benchmarks.measure import Result, own_cpu_seconds
from benchmarks.processes import RssSampler, mock_cli
from tinker_harness.contracts import AdamParams, Datum, EncodedTextChunk, ModelInput, SamplingParams, TensorData
from tinker_harness.mock_server.tokenizer import encode
from tinker_harness.reference_client import AsyncReferenceClient

SESSIONS = 1000
SECTION = "Scale"
BASE_MODEL = "Qwen/Qwen3-8B"
TEXT = "The model saved a checkpoint after every step."


def _datum() -> Datum:
    ids = encode(TEXT)
    inputs = {
        "target_tokens": TensorData(data=ids[1:], dtype="int64"),
        "weights": TensorData(data=[1.0] * (len(ids) - 1), dtype="float32"),
    }
    return Datum(model_input=ModelInput(chunks=[EncodedTextChunk(tokens=ids[:-1])]), loss_fn_inputs=inputs)


async def one_session(base_url: str, datum: Datum, prompt: list[int]) -> None:
    async with AsyncReferenceClient(base_url, "tml-benchmark") as client:
        training = await client.create_lora_training_client(BASE_MODEL, rank=1)
        step = await training.forward_backward([datum], "cross_entropy")
        await training.optim_step(AdamParams(learning_rate=0.01))
        if "loss:sum" not in step.metrics:
            raise RuntimeError(f"forward_backward metrics without loss:sum: {step.metrics}")
        sampling = await training.save_weights_and_get_sampling_client()
        sample = await sampling.sample(prompt, 1, SamplingParams(max_tokens=4, seed=1))
        if len(sample.sequences) != 1 or not sample.sequences[0].tokens:
            raise RuntimeError(f"unexpected sample: {sample}")


async def all_sessions(base_url: str, count: int) -> Counter[str]:
    """Outcome counts: ``ok`` or the exception type of each failed session."""
    datum, prompt = _datum(), encode("The model")
    outcomes = await asyncio.gather(
        *(one_session(base_url, datum, prompt) for _ in range(count)), return_exceptions=True
    )
    return Counter("ok" if o is None else type(o).__name__ for o in outcomes)


def run(quick: bool = False) -> list[Result]:
    count = 50 if quick else SESSIONS
    with mock_cli() as server:
        idle = server.rss_mb()
        sampler = RssSampler(server)
        sampler.start()
        started, server_cpu, client_cpu = time.perf_counter(), server.cpu_seconds(), own_cpu_seconds()
        outcomes = asyncio.run(all_sessions(server.base_url, count))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = server.cpu_seconds() - server_cpu, own_cpu_seconds() - client_cpu
        sampler.stop()
    failures = ", ".join(f"{n} {kind}" for kind, n in outcomes.items() if kind != "ok") or "none"
    return [
        Result(
            f"{count:,} concurrent sessions: success rate",
            100 * outcomes["ok"] / count,
            "%",
            "100 % (zero errors)",
            "each: bootstrap, create model, forward_backward + optim_step, sampler, sample, close; "
            f"failures: {failures}",
            SECTION,
        ),
        Result(
            f"{count:,} concurrent sessions: total time",
            elapsed,
            "s",
            "",
            f"async reference client, all sessions started at once, {outcomes['ok'] / elapsed:,.1f} sessions/s; "
            f"CPU: server {server_cpu:.0f} s, client {client_cpu:.0f} s",
            SECTION,
        ),
        Result(
            f"{count:,} concurrent sessions: server peak RSS",
            sampler.peak,
            "MiB",
            "< 1 GB",
            f"idle {idle:.0f} MiB before, {sampler.samples[-1][1]:.0f} MiB after; sampled every 0.1 s",
            SECTION,
        ),
    ]
