"""What the schemathesis tests share: the mock they fuzz, the run's budget and seed, our two extra checks.

The default run uses a small fixed budget and seed (:func:`fuzzing.budget`); ``nox -s fuzz`` sets
``TINKER_HARNESS_FUZZ_EXAMPLES`` (examples per operation) and ``TINKER_HARNESS_FUZZ_SEED`` to run the
same tests long and differently each time, and a failure's curl reproducers are kept in
``reports/output/fuzz/schemathesis-<seed>-<operation>.txt``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from fuzzing import OUT, budget
from schemathesis import Case
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tinker_harness.mock_server.app import MockServer
from tinker_harness.mock_server.clock import Clock
from tinker_harness.mock_server.config import ServerConfig

__all__ = [
    "API_KEY",
    "PLAN",
    "REPLAY_BASE_URL",
    "SEED",
    "STATE_CONFLICT_CODES",
    "fuzz_config",
    "keep_reproducer",
    "new_server",
]

API_KEY = "tml-schemathesis"
PLAN = budget(examples=8)
SEED = PLAN.seed if PLAN.seed is not None else 20240611
# Reproducer curl commands point at `tinker-harness serve --port 4010`; in-process calls ignore the host.
REPLAY_BASE_URL = "http://127.0.0.1:4010"

# 4xx codes the protocol gives schema-valid bodies that clash with server state or relate two values,
# which JSON Schema cannot state. The SDK treats a 400 as the caller's final error and retries a 409
# (protocol §15.3), so these cannot move to 409 without changing what the SDK does.
STATE_CONFLICT_CODES = frozenset(
    {
        "seq-id-reused",  # §7.2: a training seq_id already used by this model
        "model-seq-id-reused",  # §8.1: a model_seq_id already used in this session
        "sampling-session-seq-id-reused",  # §9.1
        "unsupported-base-model",  # §5 row 8: the served base models are configuration
        "wrong-checkpoint-kind",  # a path of the right form naming a checkpoint of another kind
        "not-an-export",  # §13: only external_weights checkpoints have download URLs
        "no-optimizer-state",  # load_weights with optimizer=true from a sampler checkpoint
        "base-model-mismatch",  # load_weights into a run of another base model
        "malformed-tensor",  # §7: data length against shape, CSR index lengths against rows
        "empty-time-range",  # billing: ending_before must be after starting_on
        "session-finished",  # 410 (§4.3): the linked session was finished by an earlier call of the scenario
    }
)


def new_server() -> MockServer:
    """A mock on a frozen clock whose long-polls give up at once (a test never waits on real time)."""
    config = ServerConfig(long_poll_timeout=0.01, long_poll_real_cap=0.01, seed=SEED)
    return MockServer(config, clock=Clock(frozen_at=1_767_225_600.0))


def fuzz_config() -> SchemathesisConfig:
    """Every default check and both generation modes, with this run's budget and seed."""
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": REPLAY_BASE_URL,
            "generation": {"max-examples": PLAN.examples, "mode": "all"},
            "auth": {"openapi": {"ApiKey": {"api_key": API_KEY}}},
            # The mock's ids and keys are throwaway; a reproducer must carry them to replay.
            "output": {"sanitization": {"enabled": False}},
            "phases": {"stateful": {"max-steps": 12}},
            "checks": {
                # Replaced by `positive_data_acceptance_beyond_state` below, which runs it and forgives
                # only the STATE_CONFLICT_CODES answers.
                "positive_data_acceptance": {"enabled": False},
            },
        }
    )


@schemathesis.serializer("application/x-protobuf")
def _protobuf_bytes(ctx: object, value: object) -> bytes:
    """A generated protobuf body is arbitrary bytes (mostly corrupt protobuf, which must get a 400)."""
    return value if isinstance(value, bytes) else str(value).encode()


def _error_code(response: Response) -> str | None:
    try:
        body: Any = json.loads(response.content or b"null")
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


@schemathesis.check
def positive_data_acceptance_beyond_state(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Schemathesis's positive_data_acceptance, except for answers in STATE_CONFLICT_CODES."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _error_code(response) in STATE_CONFLICT_CODES:
            return None
        raise


@schemathesis.check
def errors_are_json_with_detail(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx/5xx of the mock is JSON with a ``detail`` string (our error envelope, ``mock_server.errors``)."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type == "application/json", f"error answer with content-type {content_type!r}"
    body = json.loads(response.content)
    assert isinstance(body, dict) and isinstance(body.get("detail"), str), f"error answer without a detail: {body!r}"
    return None


@contextmanager
def keep_reproducer(label: str) -> Iterator[None]:
    """In fuzz mode (a seed is set), save a failure's report, with its curl reproducers, before re-raising."""
    try:
        yield
    except Exception as exc:
        if PLAN.seed is not None:
            OUT.mkdir(parents=True, exist_ok=True)
            name = "".join(c if c.isalnum() else "_" for c in label).strip("_")
            (OUT / f"schemathesis-{PLAN.seed}-{name}.txt").write_text(f"{exc}\n", encoding="utf-8")
        raise
