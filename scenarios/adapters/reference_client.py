"""Adapter for the project's reference client.

Run as ``python -m tinker_harness.scenarios.adapters.reference_client [--mutation NAME]``.

Steps map one to one onto the blocking :class:`reference_client.ReferenceClient` API (protocol
reference §18 names); the session is opened lazily by the first step that needs one, as the SDK
does. ``--mutation NAME`` (or ``TINKER_HARNESS_MUTATION``) injects one deliberate defect from
:mod:`scenarios.adapters.mutations` first, so the suite can prove it catches it. Errors are
normalised from the reference client's exception tree (``reference_client._errors``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import httpx

import tinker_harness.reference_client as rc
import tinker_harness.scenarios.adapters.mutations as mutations
from tinker_harness.contracts import AdamParams, Datum, SamplingParams
from tinker_harness.scenarios.adapters.loop import Finisher, Unsupported, serve
from tinker_harness.scenarios.adapters.summaries import forward_backward_summary, sample_summary

__all__ = ["CAPABILITIES", "ReferenceDriver", "error_of", "main"]

CAPABILITIES = [
    "training",
    "sampling",
    "checkpoints",
    "create_via_load",
    "external_weights",
    "rest",
    "rest:sessions",
    "trace_export",
    "session_finish",
    "heartbeat",
    "heartbeat:stop-on-410",
    "pipelining",
    "billing_pause",
    "faults:transport",
    "auth:jwt",
    "get_info",
]
_STATUS_KINDS: list[tuple[type[rc.APIStatusError], str]] = [
    (rc.BadRequest, "bad_request"),
    (rc.AuthenticationFailed, "authentication"),
    (rc.BillingRequired, "billing"),
    (rc.PermissionDenied, "permission_denied"),
    (rc.NotFound, "not_found"),
    (rc.Conflict, "conflict"),
    (rc.Gone, "gone"),
    (rc.UnprocessableEntity, "unprocessable"),
    (rc.RateLimited, "rate_limited"),
    (rc.ServerError, "server_error"),
]


def error_of(exc: BaseException) -> dict[str, Any]:
    """The normalised error kind of a reference-client exception (docs/adapter-protocol.md)."""
    status = getattr(exc, "status", None)
    kind = "adapter_error"
    if isinstance(exc, rc.RequestFailed):
        kind = f"request_failed:{exc.category}"
        status = None  # the failure came in a 200 poll answer: no HTTP error status was involved
    elif isinstance(exc, rc.FutureExpired):
        kind = "future_expired"
    elif isinstance(exc, rc.FuturePollFailed):
        kind = "future_poll_failed"
    elif isinstance(exc, rc.ProtocolError):
        kind = "protocol"
    elif isinstance(exc, rc.ConnectionFailed):
        kind = "timeout" if "Timeout" in str(exc) else "connection"
    elif isinstance(exc, rc.APIStatusError):
        kind = next((k for cls, k in _STATUS_KINDS if isinstance(exc, cls)), "api_status")
    elif isinstance(exc, rc.ConfigurationError | ValueError):
        kind = "invalid_argument"
    return {"kind": kind, "message": str(exc), "status": status}


def _datum(raw: dict[str, Any]) -> Datum:
    inputs = {
        key: {"data": t["data"], "dtype": t["dtype"], "shape": [len(t["data"])]}
        for key, t in raw["loss_fn_inputs"].items()
    }
    chunks = [{"type": "encoded_text", "tokens": raw["tokens"]}]
    return Datum.model_validate({"model_input": {"chunks": chunks}, "loss_fn_inputs": inputs})


def _done(result: dict[str, Any]) -> Finisher:
    return lambda: result


class ReferenceDriver:
    """Performs protocol steps with one :class:`reference_client.ReferenceClient`."""

    def __init__(self, version_suffix: str = "", http_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._version_suffix = version_suffix
        self._http_transport = http_transport
        self._client: rc.ReferenceClient | None = None
        self._started = False
        self._training: dict[str, rc.TrainingClient] = {}
        self._sampling: dict[str, rc.SamplingClient] = {}

    def hello(self) -> dict[str, Any]:
        return {
            "name": "reference-client",
            "version": rc.CLIENT_VERSION + self._version_suffix,
            "sdk_protocol": rc.PROTOCOL_VERSION,
            "capabilities": CAPABILITIES,
        }

    def error_of(self, exc: BaseException) -> dict[str, Any]:
        return error_of(exc)

    # --- clients --------------------------------------------------------------------------------

    def _rest(self) -> rc.RestClient:
        if self._client is None:
            self._client = rc.ReferenceClient(http_transport=self._http_transport)
        return self._client.rest

    def _session(self) -> rc.ReferenceClient:
        self._rest()
        assert self._client is not None
        if not self._started:
            self._client.start()
            self._started = True
        return self._client

    def _trainer(self, args: dict[str, Any]) -> rc.TrainingClient:
        name = args.get("client", "train")
        if name not in self._training:
            raise Unsupported(f"no training client named {name!r}")
        return self._training[name]

    def _sampler(self, args: dict[str, Any]) -> rc.SamplingClient:
        name = args.get("client", "sampler")
        if name not in self._sampling:
            raise Unsupported(f"no sampling client named {name!r}")
        return self._sampling[name]

    def _training_result(self, name: str | None, client: rc.TrainingClient) -> dict[str, Any]:
        self._training[name or "train"] = client
        info = client.get_info()
        return {
            "model_id": client.model_id,
            "session_id": self._session().session_id,
            "base_model": info.model_data.model_name,
        }

    def _sampling_result(self, name: str | None, client: rc.SamplingClient) -> dict[str, Any]:
        self._sampling[name or "sampler"] = client
        return {"base_model": client.base_model, "sampling_session_id": client.sampling_session_id}

    # --- steps ----------------------------------------------------------------------------------

    def start(self, op: str, args: dict[str, Any], name: str | None) -> Finisher:
        handler: Callable[[dict[str, Any], str | None], Finisher] | None = getattr(self, f"_op_{op}", None)
        if handler is None:
            raise Unsupported(f"the reference client has no operation {op!r}")
        return handler(args, name)

    def _op_create_training_client(self, args: dict[str, Any], name: str | None) -> Finisher:
        client = self._session().create_lora_training_client(
            args["base_model"],
            args["rank"],
            seed=args.get("seed"),
            train_mlp=args["train_mlp"],
            train_attn=args["train_attn"],
            train_unembed=args["train_unembed"],
            user_metadata=args.get("user_metadata"),
        )
        return _done(self._training_result(name, client))

    def _op_create_training_client_from_state(self, args: dict[str, Any], name: str | None) -> Finisher:
        client = self._session().create_training_client_from_state(args["path"], with_optimizer=args["with_optimizer"])
        return _done(self._training_result(name, client))

    def _op_create_sampling_client(self, args: dict[str, Any], name: str | None) -> Finisher:
        client = self._session().create_sampling_client(
            model_path=args.get("model_path"), base_model=args.get("base_model")
        )
        return _done(self._sampling_result(name, client))

    def _op_save_weights_and_get_sampling_client(self, args: dict[str, Any], name: str | None) -> Finisher:
        return _done(self._sampling_result(name, self._trainer(args).save_weights_and_get_sampling_client()))

    def _op_forward_backward(self, args: dict[str, Any], name: str | None) -> Finisher:
        data = [_datum(d) for d in args["data"]]
        future = self._trainer(args).forward_backward(data, args["loss_fn"], args.get("loss_fn_config"))
        return lambda: forward_backward_summary(future.result())

    def _op_forward(self, args: dict[str, Any], name: str | None) -> Finisher:
        data = [_datum(d) for d in args["data"]]
        future = self._trainer(args).forward(data, args["loss_fn"], args.get("loss_fn_config"))
        return lambda: forward_backward_summary(future.result())

    def _op_optim_step(self, args: dict[str, Any], name: str | None) -> Finisher:
        fields = {k: v for k, v in args.items() if k != "client"}
        future = self._trainer(args).optim_step(AdamParams(**fields))
        return lambda: {"metrics": future.result().metrics}

    def _op_save_state(self, args: dict[str, Any], name: str | None) -> Finisher:
        future = self._trainer(args).save_state(args["name"], args.get("ttl_seconds"))
        return lambda: {"path": future.result().path}

    def _op_save_weights_for_sampler(self, args: dict[str, Any], name: str | None) -> Finisher:
        future = self._trainer(args).save_weights_for_sampler(args["name"], args.get("ttl_seconds"))
        return lambda: {"path": future.result().path}

    def _op_save_weights_external(self, args: dict[str, Any], name: str | None) -> Finisher:
        future = self._trainer(args).save_weights_external(args["name"], args.get("ttl_seconds"))
        return lambda: {"path": future.result().path}

    def _op_sample(self, args: dict[str, Any], name: str | None) -> Finisher:
        params = SamplingParams(
            max_tokens=args["max_tokens"], seed=args.get("seed"), temperature=args["temperature"], stop=args.get("stop")
        )
        future = self._sampler(args).sample(
            args["prompt"],
            args["num_samples"],
            params,
            include_prompt_logprobs=args["include_prompt_logprobs"],
            topk_prompt_logprobs=args["topk_prompt_logprobs"],
        )
        return lambda: sample_summary(future.result())

    def _op_compute_logprobs(self, args: dict[str, Any], name: str | None) -> Finisher:
        future = self._sampler(args).compute_logprobs(args["prompt"])
        return lambda: {"logprobs": future.result()}

    def _op_get_server_capabilities(self, args: dict[str, Any], name: str | None) -> Finisher:
        models = self._rest().get_server_capabilities().supported_models
        return _done({"models": [m.model_name for m in models]})

    def _op_get_training_run(self, args: dict[str, Any], name: str | None) -> Finisher:
        run = self._rest().get_training_run(args["training_run_id"])
        last = run.last_checkpoint.tinker_path if run.last_checkpoint else None
        sampler = run.last_sampler_checkpoint.tinker_path if run.last_sampler_checkpoint else None
        return _done(
            {
                "training_run_id": run.training_run_id,
                "base_model": run.base_model,
                "is_lora": run.is_lora,
                "lora_rank": run.lora_rank,
                "last_checkpoint": last,
                "last_sampler_checkpoint": sampler,
            }
        )

    def _op_list_training_runs(self, args: dict[str, Any], name: str | None) -> Finisher:
        page = self._rest().list_training_runs(limit=args.get("limit", 20), offset=args.get("offset", 0))
        return _done(
            {
                "training_run_ids": [r.training_run_id for r in page.training_runs],
                "total_count": page.cursor.total_count,
            }
        )

    def _checkpoints(self, page: Any) -> dict[str, Any]:
        items = [
            {
                "tinker_path": c.tinker_path,
                "checkpoint_type": c.checkpoint_type,
                "checkpoint_id": c.checkpoint_id,
                "public": c.public,
                "expires": c.expires_at is not None,
            }
            for c in page.checkpoints
        ]
        return {"checkpoints": items, "total_count": page.cursor.total_count if page.cursor else None}

    def _op_list_checkpoints(self, args: dict[str, Any], name: str | None) -> Finisher:
        return _done(self._checkpoints(self._rest().list_checkpoints(args["training_run_id"])))

    def _op_list_user_checkpoints(self, args: dict[str, Any], name: str | None) -> Finisher:
        page = self._rest().list_user_checkpoints(limit=args.get("limit", 100), offset=args.get("offset", 0))
        return _done(self._checkpoints(page))

    def _op_delete_checkpoint(self, args: dict[str, Any], name: str | None) -> Finisher:
        self._rest().delete_checkpoint_from_tinker_path(args["path"])
        return _done({})

    def _op_publish_checkpoint(self, args: dict[str, Any], name: str | None) -> Finisher:
        self._rest().publish_checkpoint_from_tinker_path(args["path"])
        return _done({})

    def _op_unpublish_checkpoint(self, args: dict[str, Any], name: str | None) -> Finisher:
        self._rest().unpublish_checkpoint_from_tinker_path(args["path"])
        return _done({})

    def _op_set_checkpoint_ttl(self, args: dict[str, Any], name: str | None) -> Finisher:
        self._rest().set_checkpoint_ttl_from_tinker_path(args["path"], args.get("ttl_seconds"))
        return _done({})

    def _op_get_weights_info(self, args: dict[str, Any], name: str | None) -> Finisher:
        info = self._rest().get_weights_info_by_tinker_path(args["path"])
        return _done({"base_model": info.base_model, "is_lora": info.is_lora, "lora_rank": info.lora_rank})

    def _op_get_external_weights_urls(self, args: dict[str, Any], name: str | None) -> Finisher:
        return _done({"urls": dict(self._rest().get_external_weights_urls(args["path"]).urls)})

    def _op_get_session(self, args: dict[str, Any], name: str | None) -> Finisher:
        session = self._rest().get_session(args["session_id"])
        return _done({"training_run_ids": session.training_run_ids, "sampler_ids": session.sampler_ids})

    def _op_list_sessions(self, args: dict[str, Any], name: str | None) -> Finisher:
        page = self._rest().list_sessions(limit=args.get("limit", 20), offset=args.get("offset", 0))
        return _done({"session_ids": list(page.sessions)})

    def _op_export_session_trace(self, args: dict[str, Any], name: str | None) -> Finisher:
        return _done({"url": self._rest().export_session_trace(args["session_id"])})

    def reset(self) -> None:
        """Stop the client's background work and connections as its exit would; forget every client."""
        if self._client is not None:
            self._client.abandon()
        self._client = None
        self._started = False
        self._training.clear()
        self._sampling.clear()

    def _op_close(self, args: dict[str, Any], name: str | None) -> Finisher:
        if self._client is not None:
            self._client.close(args["status"], args.get("detail"))
        return _done({})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinker_harness.scenarios.adapters.reference_client")
    parser.add_argument(
        "--mutation",
        default=os.environ.get("TINKER_HARNESS_MUTATION") or None,
        choices=sorted(mutations.MUTATIONS),
        help="inject one deliberate defect (for mutation tests)",
    )
    options = parser.parse_args(argv)
    if not options.mutation:
        return serve(ReferenceDriver())
    mutation = mutations.MUTATIONS[options.mutation]
    return serve(ReferenceDriver(f"+mutation.{options.mutation}", mutation.transport()))


if __name__ == "__main__":
    sys.exit(main())
