"""Helpers for the record/replay tests: a "live" upstream, the official SDK flow, planted secrets, CLI runs.

There is no live Tinker here: the upstream is a second mock server, configured unlike the replay
side (its own seed, a fault plan with ``try_again`` polls and 429s) and stopped before any replay,
so a replay that still reached it would fail.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tinker
import yaml
from sdk_env import SDK_ENV
from sdk_support import SENTENCES
from tinker import types

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.config import ServerConfig
from tinker_harness.mock_server.faults.plan import FaultPlan
from tinker_harness.mock_server.runner import BackgroundServer
from tinker_harness.mock_server.tokenizer import encode

BASE_MODEL = "Qwen/Qwen3-8B"
UPSTREAM_SEED = 1234
TEXTS = SENTENCES  # the scenario vocabulary's dataset "three", so to-scenario finds it by its tokens

# Secrets planted in every place a client can put one (protocol reference §2.1, §4.2, §7.1, §12).
API_KEY = "tml-planted-apikey-7f3a9c2e51"
CF_ID = "cf-planted-client-id-4411.access"
CF_SECRET = "cf-planted-client-secret-99e0d1c7"
COOKIE = "planted-cookie-value-5b7e2c"
BEARER = "planted-bearer-token-0a1b2c3d4e5f6a7b"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlLXBsYW50ZWQ"
METADATA_KEY = "tml-planted-in-metadata-0042"
PROTO_KEY = "tml-planted-in-protobuf-0043"
SECRETS = (API_KEY, CF_ID, CF_SECRET, COOKIE, BEARER, JWT, METADATA_KEY, PROTO_KEY)
# try_again polls, a 429 on a submit (Stainless retry, §3.1) and on a sample (the SDK's own backoff, §9.3).
FAULTS: dict[str, Any] = {
    "seed": 7,
    "rules": [
        {
            "name": "polls-wait",
            "match": {"endpoint": "retrieve_future"},
            "after": 1,
            "times": 3,
            "action": {"try_again": {"queue_state": "paused_capacity", "reason": "recorded pause"}},
        },
        {
            "name": "optim-429",
            "match": {"endpoint": "optim_step", "nth": 2},
            "times": 1,
            "action": {
                "kind": "status",
                "status": 429,
                "headers": {"retry-after-ms": "20"},
                "body": {"detail": "slow down"},
            },
        },
        {"name": "sample-429", "match": {"endpoint": "asample"}, "times": 1, "action": {"status": 429}},
    ],
}


@dataclass
class FlowResult:
    losses: list[float]
    sampled_tokens: list[list[int]]
    prompt_logprobs: list[float | None]
    computed_logprobs: list[float | None]
    state_path: str
    sampler_path: str
    model_id: str
    run_lora_rank: int | None


def datum(text: str) -> types.Datum:
    ids = encode(text)
    return types.Datum(
        model_input=types.ModelInput.from_ints(ids[:-1]),
        loss_fn_inputs={"target_tokens": ids[1:], "weights": [1.0] * (len(ids) - 1)},
    )


def run_flow(base_url: str, api_key: str = API_KEY, learning_rate: float = 0.05) -> FlowResult:
    """Training, checkpoints, sampling, REST and close through the official SDK, secrets planted throughout."""
    service = tinker.ServiceClient(
        user_metadata={"purpose": "recording", "api_key": METADATA_KEY},
        base_url=base_url,
        api_key=api_key,
        default_headers_overrides={"Cookie": f"session={COOKIE}", "Authorization": f"Bearer {BEARER}"},
    )
    training = service.create_lora_training_client(base_model=BASE_MODEL, rank=4, user_metadata={"jwt": JWT}).result()
    data = [datum(t) for t in TEXTS]
    losses = []
    for step in range(3):
        config = {"note": PROTO_KEY} if step == 0 else None  # a string config value travels in the protobuf
        fwdbwd = training.forward_backward(data, "cross_entropy", config)
        optim = training.optim_step(types.AdamParams(learning_rate=learning_rate))
        losses.append(fwdbwd.result().metrics["loss:sum"])
        optim.result()
    state_path = training.save_state("after-3").result().path
    sampler_path = training.save_weights_for_sampler("sampler-3").result().path
    sampling = training.save_weights_and_get_sampling_client().result()
    prompt = types.ModelInput.from_ints(encode("The model"))
    params = types.SamplingParams(max_tokens=5, seed=11, temperature=1.0)
    sampled = sampling.sample(prompt, num_samples=2, sampling_params=params, include_prompt_logprobs=True).result()
    computed = sampling.compute_logprobs(types.ModelInput.from_ints(encode("Training loss goes down."))).result()
    rest = tinker.RestClient(base_url=base_url, api_key=api_key)
    run = rest.get_training_run(training.model_id).result()
    service.close("success").result()
    return FlowResult(
        losses=losses,
        sampled_tokens=[list(s.tokens) for s in sampled.sequences],
        prompt_logprobs=list(sampled.prompt_logprobs or []),
        computed_logprobs=list(computed),
        state_path=state_path,
        sampler_path=sampler_path,
        model_id=training.model_id,
        run_lora_rank=run.lora_rank,
    )


@contextmanager
def live_upstream(*, pyqwest: bool = True) -> Iterator[BackgroundServer]:
    """The stand-in for a live Tinker: its own seed and a fault plan; stopped when the block ends."""
    config = ServerConfig(
        seed=UPSTREAM_SEED, client_config={"pjwt_auth_enabled": False, "use_pyqwest_transport": pyqwest}
    )
    server = MockServer(config)
    server.faults.load(FaultPlan.parse(FAULTS))
    background = BackgroundServer(server).start()
    try:
        yield background
    finally:
        background.stop()


def fault_names(server: MockServer) -> list[str]:
    """Which fault rules fired upstream (from its journal)."""
    return [e.fault or "" for e in server.journal.entries() if e.fault]


def cassette_bytes_everywhere(path: Path) -> bytes:
    """The file's text plus every ``!!binary`` body decoded, so a secret cannot hide in base64."""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    chunks = [text.encode()]
    for item in data["interactions"]:
        for body in (item["request"]["body"], item["response"]["body"]["string"]):
            if isinstance(body, bytes):
                chunks.append(body)
        chunks.append(json.dumps(item.get("tinker", {})).encode())
    return b"\n".join(chunks)


def planted_left(path: Path) -> list[str]:
    everything = cassette_bytes_everywhere(path)
    lowered = everything.lower()
    found = [s for s in SECRETS if s.encode() in everything or s.lower().encode() in lowered]
    found += [s for s in SECRETS if base64.b64encode(s.encode()) in everything]
    return found


def sdk_env(monkeypatch: Any, home: Path) -> None:
    """A clean SDK environment with the CF-Access credentials planted (sent as headers, §2.1)."""
    for name in SDK_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("CLOUDFLARE_ACCESS_CLIENT_ID", CF_ID)
    monkeypatch.setenv("CLOUDFLARE_ACCESS_CLIENT_SECRET", CF_SECRET)


class CliServer:
    """``tinker-harness <args>`` as a subprocess that prints its URL on the first line; stopped by SIGINT."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tinker_harness", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith(("TINKER_", "CLOUDFLARE_"))},
        )
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline()
        if not self.first_line:
            _, err = self.process.communicate(timeout=30)
            raise RuntimeError(f"tinker-harness {' '.join(args)} exited: {err.strip()}")
        self.url = next(w for w in self.first_line.split() if w.startswith("http://"))

    def stop(self) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, self.first_line + out, err


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tinker_harness", *args], capture_output=True, text=True, timeout=60)
