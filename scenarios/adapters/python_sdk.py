"""Adapter for the official Python SDK (``tinker``), any installed version.

Run it by path with the interpreter of a venv that has ``tinker==X`` installed, e.g.::

    tinker-harness conform \
        --adapter "$(python -m tinker_harness.scenarios.sdk_envs 0.30.4) scenarios/adapters/python_sdk.py"

It imports only the standard library and ``tinker`` (the JSON-lines loop is the sibling file
``loop.py``, loaded by path when this project is not importable). Capabilities follow the detected
SDK version (docs/protocol-generations.md): 0.30+ finish sessions on close and stop heartbeats on
410, 0.22+ pause on 402, 0.38 creates training clients from state with one ``load_weights``, and
``custom_loss`` needs torch. Unless the scenario requires ``custom_loss`` (``TINKER_HARNESS_REQUIRES``),
torch is hidden from the SDK: it is optional for ``tinker`` and costs seconds of import time. An SDK
venv without torch can borrow another interpreter's: ``python_sdk.py --torch-path DIR`` appends the
site-packages holding it after the venv's own packages (``nox -s conformance_versions`` does).
"""

from __future__ import annotations

import gc
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["SdkDriver", "main"]

_POLL_STATUS = re.compile(r"status (\d{3})")
_STATUS_KINDS = {
    400: "bad_request",
    401: "authentication",
    402: "billing",
    403: "permission_denied",
    404: "not_found",
    409: "conflict",
    410: "gone",
    422: "unprocessable",
    429: "rate_limited",
}


def _load_loop() -> Any:
    try:
        from tinker_harness.scenarios.adapters import loop
    except ImportError:  # running inside a venv that has only tinker: load the sibling file
        spec = importlib.util.spec_from_file_location(
            "tinker_harness_adapter_loop", Path(__file__).with_name("loop.py")
        )
        assert spec is not None and spec.loader is not None
        loop = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loop)
    return loop


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def _resolve(value: Any) -> Any:
    """SDK calls return an APIFuture (0.30+) or, in older versions, sometimes the object itself."""
    result = getattr(value, "result", None)
    return result() if callable(result) else value


class SdkDriver:
    """Performs protocol steps with the installed ``tinker`` package."""

    def __init__(self, loop: Any, *, has_torch: bool) -> None:
        import tinker
        from tinker import types

        self.tinker: Any = tinker
        self.types: Any = types
        self.loop = loop
        self.has_torch = has_torch
        self.version = str(getattr(tinker, "__version__", "0.0.0"))
        self.v = _version(self.version)
        self._service: Any = None
        self._rest_client: Any = None
        self._training: dict[str, Any] = {}
        self._sampling: dict[str, Any] = {}

    def hello(self) -> dict[str, Any]:
        caps = [
            "training",
            "sampling",
            "checkpoints",
            "rest",
            "rest:sessions",
            "heartbeat",
            "pipelining",
            "faults:transport",
            "telemetry",
        ]
        if self.v >= (0, 22):
            caps += ["billing_pause", "auth:jwt"]
        if self.v >= (0, 30):
            caps += ["session_finish", "heartbeat:stop-on-410", "external_weights", "trace_export"]
        if self.v >= (0, 38):
            caps += ["create_via_load", "get_info"]
            if self.has_torch:
                caps.append("custom_loss")
        return {"name": "python-sdk", "version": self.version, "sdk_protocol": self.version, "capabilities": caps}

    # --- errors -----------------------------------------------------------------------------------

    def error_of(self, exc: BaseException) -> dict[str, Any]:
        t = self.tinker
        status = getattr(exc, "status_code", None)
        kind = "adapter_error"
        if isinstance(exc, t.RequestFailedError):
            category = str(getattr(exc, "category", "unknown")).lower().rsplit(".", 1)[-1]
            kind = f"request_failed:{category if category in ('user', 'server') else 'unknown'}"
        elif type(exc).__name__ == "RetryableException" or "Promise expired" in str(exc):
            kind = "future_expired"
        elif isinstance(exc, t.APITimeoutError):
            kind = "timeout"
        elif isinstance(exc, t.APIConnectionError):
            kind = "connection"
        elif isinstance(exc, t.APIStatusError):
            kind = _STATUS_KINDS.get(exc.status_code, "server_error" if exc.status_code >= 500 else "api_status")
        elif isinstance(exc, ValueError):
            kind, status = self._value_error(exc)
        elif isinstance(exc, AssertionError | TypeError):
            kind = "protocol" if "sample_sequence_ids" in str(exc) else "adapter_error"
        return {"kind": kind, "message": f"{type(exc).__name__}: {exc}", "status": status}

    def _value_error(self, exc: ValueError) -> tuple[str, int | None]:
        """The SDK raises ValueError for fatal polls, proto/JSON mismatches and invalid arguments alike."""
        text = str(exc)
        if text.startswith("Error retrieving result") and ("status" in text or "exceeded" in text):
            match = _POLL_STATUS.search(text)
            return "future_poll_failed", int(match.group(1)) if match else None
        if text.startswith(("Error retrieving result", "Proto deserialization failed")) or "predates proto" in text:
            return "protocol", None
        return "invalid_argument", None

    # --- clients ----------------------------------------------------------------------------------

    def _svc(self) -> Any:
        if self._service is None:
            self._service = self.tinker.ServiceClient()
        return self._service

    def _rest(self) -> Any:
        if self._rest_client is None:
            factory = getattr(self.tinker, "RestClient", None)
            if factory is not None and self.v >= (0, 38):
                env = os.environ
                self._rest_client = factory(base_url=env["TINKER_BASE_URL"], api_key=env["TINKER_API_KEY"])
            else:
                self._rest_client = self._svc().create_rest_client()
        return self._rest_client

    def _trainer(self, args: dict[str, Any]) -> Any:
        name = args.get("client", "train")
        if name not in self._training:
            raise self.loop.Unsupported(f"no training client named {name!r}")
        return self._training[name]

    def _sampler(self, args: dict[str, Any]) -> Any:
        name = args.get("client", "sampler")
        if name not in self._sampling:
            raise self.loop.Unsupported(f"no sampling client named {name!r}")
        return self._sampling[name]

    def _datum(self, raw: dict[str, Any]) -> Any:
        types = self.types
        inputs = {
            k: types.TensorData(data=t["data"], dtype=t["dtype"], shape=[len(t["data"])])
            for k, t in raw["loss_fn_inputs"].items()
        }
        return types.Datum(model_input=types.ModelInput.from_ints(raw["tokens"]), loss_fn_inputs=inputs)

    def _training_result(self, name: str | None, client: Any) -> dict[str, Any]:
        self._training[name or "train"] = client
        model_id = str(client.model_id)
        base = None
        if self.v >= (0, 38):  # get_info() answers from the cache filled at creation (no request)
            base = client.get_info().model_data.model_name
        return {"model_id": model_id, "session_id": model_id.split(":", 1)[0], "base_model": base}

    def _sampling_result(self, name: str | None, client: Any) -> dict[str, Any]:
        self._sampling[name or "sampler"] = client
        getter = getattr(client, "get_base_model", None)
        base = _resolve(getter()) if callable(getter) else None
        return {"base_model": base, "sampling_session_id": getattr(client, "_sampling_session_id", None)}

    # --- steps ------------------------------------------------------------------------------------

    def start(self, op: str, args: dict[str, Any], name: str | None) -> Any:
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            raise self.loop.Unsupported(f"tinker {self.version} adapter has no operation {op!r}")
        return handler(args, name)

    def _op_create_training_client(self, args: dict[str, Any], name: str | None) -> Any:
        options = {
            k: args[k] for k in ("seed", "train_mlp", "train_attn", "train_unembed", "user_metadata") if k in args
        }
        client = _resolve(
            self._svc().create_lora_training_client(base_model=args["base_model"], rank=args["rank"], **options)
        )
        result = self._training_result(name, client)
        return lambda: result

    def _op_create_training_client_from_state(self, args: dict[str, Any], name: str | None) -> Any:
        method = "create_training_client_from_state" + ("_with_optimizer" if args["with_optimizer"] else "")
        call = getattr(self._svc(), method, None)
        if call is None:
            raise self.loop.Unsupported(f"tinker {self.version} has no ServiceClient.{method}")
        result = self._training_result(name, _resolve(call(args["path"])))
        return lambda: result

    def _op_create_sampling_client(self, args: dict[str, Any], name: str | None) -> Any:
        client = _resolve(
            self._svc().create_sampling_client(model_path=args.get("model_path"), base_model=args.get("base_model"))
        )
        result = self._sampling_result(name, client)
        return lambda: result

    def _op_save_weights_and_get_sampling_client(self, args: dict[str, Any], name: str | None) -> Any:
        client = _resolve(self._trainer(args).save_weights_and_get_sampling_client())
        result = self._sampling_result(name, client)
        return lambda: result

    def _fwdbwd(self, method: str, args: dict[str, Any]) -> Any:
        data = [self._datum(d) for d in args["data"]]
        future = getattr(self._trainer(args), method)(data, args["loss_fn"], args.get("loss_fn_config"))
        return lambda: self._fwdbwd_summary(_resolve(future))

    def _fwdbwd_summary(self, out: Any) -> dict[str, Any]:
        metrics = {k: float(v) for k, v in out.metrics.items()}
        lengths = [len(o["logprobs"].data) if "logprobs" in o else None for o in out.loss_fn_outputs]
        return {
            "loss": metrics.get("loss:sum"),
            "metrics": metrics,
            "outputs": len(out.loss_fn_outputs),
            "output_lengths": lengths,
        }

    def _op_forward_backward(self, args: dict[str, Any], name: str | None) -> Any:
        return self._fwdbwd("forward_backward", args)

    def _op_forward(self, args: dict[str, Any], name: str | None) -> Any:
        return self._fwdbwd("forward", args)

    def _op_forward_backward_custom(self, args: dict[str, Any], name: str | None) -> Any:
        import torch

        def neg_mean_logprob(data: Any, logprobs: list[Any]) -> tuple[Any, dict[str, float]]:
            loss = torch.stack([-lp.mean() for lp in logprobs]).mean()
            return loss, {"custom/neg_mean_logprob:mean": float(loss.detach())}

        data = [self._datum(d) for d in args["data"]]
        future = self._trainer(args).forward_backward_custom(data, neg_mean_logprob)
        return lambda: self._fwdbwd_summary(_resolve(future))

    def _op_optim_step(self, args: dict[str, Any], name: str | None) -> Any:
        params = self.types.AdamParams(**{k: v for k, v in args.items() if k != "client"})
        future = self._trainer(args).optim_step(params)
        return lambda: {"metrics": _resolve(future).metrics}

    def _save(self, method: str, args: dict[str, Any]) -> Any:
        options = {"ttl_seconds": args["ttl_seconds"]} if "ttl_seconds" in args else {}
        call = getattr(self._trainer(args), method, None)
        if call is None:
            raise self.loop.Unsupported(f"tinker {self.version} has no TrainingClient.{method}")
        future = call(args["name"], **options)
        return lambda: {"path": _resolve(future).path}

    def _op_save_state(self, args: dict[str, Any], name: str | None) -> Any:
        return self._save("save_state", args)

    def _op_save_weights_for_sampler(self, args: dict[str, Any], name: str | None) -> Any:
        return self._save("save_weights_for_sampler", args)

    def _op_save_weights_external(self, args: dict[str, Any], name: str | None) -> Any:
        return self._save("save_weights_external", args)

    def _op_sample(self, args: dict[str, Any], name: str | None) -> Any:
        types = self.types
        params = types.SamplingParams(
            max_tokens=args["max_tokens"], seed=args.get("seed"), temperature=args["temperature"], stop=args.get("stop")
        )
        options = (
            {"include_prompt_logprobs": args["include_prompt_logprobs"]} if args["include_prompt_logprobs"] else {}
        )
        if args["topk_prompt_logprobs"]:
            options["topk_prompt_logprobs"] = args["topk_prompt_logprobs"]
        future = self._sampler(args).sample(
            prompt=types.ModelInput.from_ints(args["prompt"]),
            num_samples=args["num_samples"],
            sampling_params=params,
            **options,
        )
        return lambda: self._sample_summary(_resolve(future))

    def _sample_summary(self, response: Any) -> dict[str, Any]:
        sequences = [
            {
                "tokens": [int(t) for t in s.tokens],
                "stop_reason": s.stop_reason,
                "logprobs": None if s.logprobs is None else [float(x) for x in s.logprobs],
            }
            for s in response.sequences
        ]
        prompt = getattr(response, "prompt_logprobs", None)
        topk = getattr(response, "topk_prompt_logprobs", None)
        k = None if topk is None else max((len(position) for position in topk if position), default=0)
        return {
            "sequences": sequences,
            "prompt_logprobs": None if prompt is None else list(prompt),
            "topk_prompt_logprobs": k,
        }

    def _op_compute_logprobs(self, args: dict[str, Any], name: str | None) -> Any:
        future = self._sampler(args).compute_logprobs(self.types.ModelInput.from_ints(args["prompt"]))
        return lambda: {"logprobs": list(_resolve(future))}

    # --- REST ------------------------------------------------------------------------------------

    def _op_get_server_capabilities(self, args: dict[str, Any], name: str | None) -> Any:
        # RestClient.get_server_capabilities is 0.38+; every version has ServiceClient's.
        rest = self._rest()
        source = rest if hasattr(rest, "get_server_capabilities") else self._svc()
        answer = _resolve(source.get_server_capabilities())
        return lambda: {"models": [m.model_name for m in answer.supported_models]}

    def _op_get_training_run(self, args: dict[str, Any], name: str | None) -> Any:
        run = _resolve(self._rest().get_training_run(args["training_run_id"]))
        result = {
            "training_run_id": run.training_run_id,
            "base_model": run.base_model,
            "is_lora": run.is_lora,
            "lora_rank": run.lora_rank,
            "last_checkpoint": run.last_checkpoint.tinker_path if run.last_checkpoint else None,
            "last_sampler_checkpoint": run.last_sampler_checkpoint.tinker_path if run.last_sampler_checkpoint else None,
        }
        return lambda: result

    def _op_list_training_runs(self, args: dict[str, Any], name: str | None) -> Any:
        page = _resolve(self._rest().list_training_runs(limit=args.get("limit", 20), offset=args.get("offset", 0)))
        result = {
            "training_run_ids": [r.training_run_id for r in page.training_runs],
            "total_count": page.cursor.total_count,
        }
        return lambda: result

    def _checkpoints(self, page: Any) -> dict[str, Any]:
        items = [
            {
                "tinker_path": c.tinker_path,
                "checkpoint_type": c.checkpoint_type,
                "checkpoint_id": c.checkpoint_id,
                "public": bool(getattr(c, "public", False)),
                "expires": getattr(c, "expires_at", None) is not None,
            }
            for c in page.checkpoints
        ]
        cursor = getattr(page, "cursor", None)
        return {"checkpoints": items, "total_count": cursor.total_count if cursor else None}

    def _op_list_checkpoints(self, args: dict[str, Any], name: str | None) -> Any:
        result = self._checkpoints(_resolve(self._rest().list_checkpoints(args["training_run_id"])))
        return lambda: result

    def _op_list_user_checkpoints(self, args: dict[str, Any], name: str | None) -> Any:
        page = self._rest().list_user_checkpoints(limit=args.get("limit", 100), offset=args.get("offset", 0))
        result = self._checkpoints(_resolve(page))
        return lambda: result

    def _path_call(self, method: str, *args: Any) -> Any:
        call = getattr(self._rest(), method, None)
        if call is None:
            raise self.loop.Unsupported(f"tinker {self.version} has no RestClient.{method}")
        return _resolve(call(*args))

    def _op_delete_checkpoint(self, args: dict[str, Any], name: str | None) -> Any:
        self._path_call("delete_checkpoint_from_tinker_path", args["path"])
        return lambda: {}

    def _op_publish_checkpoint(self, args: dict[str, Any], name: str | None) -> Any:
        self._path_call("publish_checkpoint_from_tinker_path", args["path"])
        return lambda: {}

    def _op_unpublish_checkpoint(self, args: dict[str, Any], name: str | None) -> Any:
        self._path_call("unpublish_checkpoint_from_tinker_path", args["path"])
        return lambda: {}

    def _op_set_checkpoint_ttl(self, args: dict[str, Any], name: str | None) -> Any:
        self._path_call("set_checkpoint_ttl_from_tinker_path", args["path"], args.get("ttl_seconds"))
        return lambda: {}

    def _op_get_weights_info(self, args: dict[str, Any], name: str | None) -> Any:
        info = self._path_call("get_weights_info_by_tinker_path", args["path"])
        return lambda: {"base_model": info.base_model, "is_lora": info.is_lora, "lora_rank": info.lora_rank}

    def _op_get_external_weights_urls(self, args: dict[str, Any], name: str | None) -> Any:
        urls = self._path_call("get_external_weights_urls", args["path"])
        return lambda: {"urls": dict(urls.urls)}

    def _op_get_session(self, args: dict[str, Any], name: str | None) -> Any:
        session = self._path_call("get_session", args["session_id"])
        return lambda: {"training_run_ids": list(session.training_run_ids), "sampler_ids": list(session.sampler_ids)}

    def _op_list_sessions(self, args: dict[str, Any], name: str | None) -> Any:
        page = self._path_call("list_sessions", args.get("limit", 20), args.get("offset", 0))
        return lambda: {"session_ids": list(page.sessions)}

    def _op_export_session_trace(self, args: dict[str, Any], name: str | None) -> Any:
        url = self._path_call("export_session_trace", args["session_id"])
        return lambda: {"url": url}

    # --- between scenarios --------------------------------------------------------------------------

    def reset(self) -> None:
        """Close every client's connection holder (heartbeat and config loops stopped, telemetry drained,
        as at exit), then forget the clients: the next scenario builds its own."""
        clients = [self._service, self._rest_client, *self._training.values(), *self._sampling.values()]
        holders: list[Any] = []
        for client in clients:
            fields = vars(client) if client is not None and hasattr(client, "__dict__") else {}
            for attribute in ("holder", "_session_holder", "_rest_holder"):  # 0.15-0.22, then 0.30+
                holder = fields.get(attribute)  # never a property: those create a holder (and a session)
                if holder is not None and all(holder is not h for h in holders):
                    holders.append(holder)
        for holder in holders:
            _close_holder(holder)
        self._service = self._rest_client = None
        self._training.clear()
        self._sampling.clear()
        gc.collect()

    def _op_close(self, args: dict[str, Any], name: str | None) -> Any:
        close = getattr(self._service, "close", None)
        if self._service is not None and callable(close):
            _resolve(close(args["status"], args.get("detail")))
        return lambda: {}


def _close_holder(holder: Any, timeout: float = 15.0) -> None:
    """``aclose`` on the holder's own loop and wait for it (0.30+); ``close`` where that is all there is."""
    aclose, run = getattr(holder, "aclose", None), getattr(holder, "run_coroutine_threadsafe", None)
    if callable(aclose) and callable(run):
        future = run(aclose())
        wait = getattr(future, "result", None)
        if callable(wait):
            wait(timeout)
        return
    close = getattr(holder, "close", None)
    if callable(close):
        close()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python_sdk.py", description="conformance adapter for the official SDK")
    parser.add_argument("--torch-path", help="a site-packages holding torch, for an SDK venv without it")
    options = parser.parse_args(argv)
    if options.torch_path:
        sys.path.append(options.torch_path)
    required = {r for r in os.environ.get("TINKER_HARNESS_REQUIRES", "").split(",") if r}
    has_torch = importlib.util.find_spec("torch") is not None
    if "custom_loss" not in required:
        sys.modules.setdefault("torch", None)  # type: ignore[arg-type]  # torch is optional for tinker
    loop = _load_loop()
    return int(loop.serve(SdkDriver(loop, has_torch=has_torch)))


if __name__ == "__main__":
    sys.exit(main())
