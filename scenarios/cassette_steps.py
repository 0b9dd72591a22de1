"""Client calls → scenario steps (the step vocabulary of ``scenarios/steps.py``, protocol reference §18).

Each recorded call (:mod:`mock_server.recording.calls`) becomes the public-API operation that sends
it: ``create_model`` → ``create_training_client``, ``/forward_backward`` → ``forward_backward`` or
``forward`` (§8.4), ``/save_weights_for_sampler`` without a ``path`` → ``save_weights_and_get_sampling_client``,
``/asample`` → ``sample``, or ``compute_logprobs`` when shaped like one (one sample, ``max_tokens: 1``,
prompt logprobs, no seed; §9.4), and so on. Ids and paths the live service handed out are not
copied: they become references to the step that produced them (``$train.model_id``, ``$saved_1.path``).
Recorded training data becomes the named dataset with the same tokens, or the closest one (noted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tinker_harness.mock_server.recording.calls import Call
from tinker_harness.scenarios.datasets import DATASETS, dataset

__all__ = ["StepBuilder"]

_ERRORS = {400: "bad_request", 401: "authentication", 402: "billing", 403: "permission_denied", 404: "not_found"}
_ERRORS |= {409: "conflict", 410: "gone", 422: "unprocessable", 429: "rate_limited"}
_OPTIM = ("learning_rate", "beta1", "beta2", "eps", "weight_decay", "grad_clip_norm")
_LORA = ("rank", "train_mlp", "train_attn", "train_unembed")


def error_kind(status: int) -> str:
    """The normalised error kind of a terminal HTTP status (``scenarios.protocol.ERROR_KINDS``)."""
    return _ERRORS.get(status) or ("server_error" if status >= 500 else "api_status")


def _tokens(model_input: Any) -> list[int]:
    chunks = model_input.get("chunks", []) if isinstance(model_input, dict) else model_input or []
    return [t for chunk in chunks if isinstance(chunk, dict) for t in chunk.get("tokens", [])]


@dataclass
class StepBuilder:
    """Stateful over one recording: which step produced which id or path."""

    refs: dict[str, str] = field(default_factory=dict)  # recorded id/path -> "$step.field"
    notes: list[str] = field(default_factory=list)
    trainers: dict[str, str] = field(default_factory=dict)  # model_id -> step name
    samplers: dict[str, str] = field(default_factory=dict)  # sampling_session_id -> step name
    _counts: dict[str, int] = field(default_factory=dict)

    def _name(self, base: str) -> str:
        self._counts[base] = self._counts.get(base, 0) + 1
        return base if self._counts[base] == 1 else f"{base}{self._counts[base]}"

    def _ref(self, value: Any) -> Any:
        return self.refs.get(value, value) if isinstance(value, str) else value

    def _client(self, model_id: Any) -> str:
        return self.trainers.get(str(model_id), "train")

    def step(self, call: Call) -> dict[str, Any] | None:
        """The step of one call, or None (with a note) when it has no counterpart in the vocabulary."""
        body = call.body if isinstance(call.body, dict) else {}
        method = getattr(self, f"_{call.endpoint}", None)
        if method is None:
            self.notes.append(
                f"interaction {call.attempts[0].tinker.seq}: {call.endpoint} has no scenario step; skipped"
            )
            return None
        step: dict[str, Any] = method(call, body)
        failure = call.future_error
        if call.status >= 300:
            step["expect_error"] = error_kind(call.status)
        elif failure is not None:
            step["expect_error"] = f"request_failed:{failure.get('category')}"
        elif call.expired:  # its future answered 410 and the client gave up instead of resubmitting (§6.3)
            step["expect_error"] = "future_expired"
        if "expect_error" in step:  # a failed call has no result to describe
            step.pop("expect", None)
        return step

    # --- training ----------------------------------------------------------------------------
    def _create_model(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        name = self._name("train")
        lora = body.get("lora_config") or {}
        args = {"base_model": body.get("base_model")} | {k: lora[k] for k in _LORA if k in lora}
        if "seed" in lora:
            args["seed"] = lora["seed"]
        model_id = f"{body.get('session_id')}:train:{body.get('model_seq_id')}"  # computed client-side (§0 item 10)
        self.trainers[model_id] = name
        self.refs[model_id] = f"${name}.model_id"
        self.refs.setdefault(str(body.get("session_id")), f"${name}.session_id")
        return {"create_training_client": args, "as": name}

    def _forward_backward(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        op = "forward" if body.get("forward_only") else "forward_backward"
        args: dict[str, Any] = {"client": self._client(body.get("model_id")), "data": self._dataset(call, body)}
        args["loss_fn"] = body.get("loss_fn", "cross_entropy")
        if body.get("loss_fn_config"):
            args["loss_fn_config"] = body["loss_fn_config"]
        return {op: args, "expect": {"loss": {"type": "number"}}}

    def _optim_step(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        adam = body.get("adam_params") or {}
        args = {"client": self._client(body.get("model_id"))} | {k: adam[k] for k in _OPTIM if k in adam}
        return {"optim_step": args}

    def _dataset(self, call: Call, body: dict[str, Any]) -> str:
        data = body.get("data") or []
        recorded = [_tokens(d.get("model_input")) for d in data if isinstance(d, dict)]
        rl = any("advantages" in (d.get("loss_fn_inputs") or {}) for d in data if isinstance(d, dict))
        flavour = "rl" if rl else "supervised"
        for name, (_, kind) in DATASETS.items():
            if kind == flavour and [d["tokens"] for d in dataset(name)] == recorded:
                return name
        same = [n for n, (texts, kind) in DATASETS.items() if kind == flavour and len(texts) == len(recorded)]
        chosen = same[0] if same else ("rl" if rl else "three")
        seq = call.attempts[0].tinker.seq
        self.notes.append(
            f"interaction {seq}: recorded data ({len(recorded)} datums) is no named dataset; using {chosen!r}"
        )
        return chosen

    # --- checkpoints -------------------------------------------------------------------------
    def _saved(self, call: Call, op: str, body: dict[str, Any]) -> dict[str, Any]:
        name = self._name("saved")
        args: dict[str, Any] = {"client": self._client(body.get("model_id")), "name": body.get("path")}
        if body.get("ttl_seconds"):
            args["ttl_seconds"] = body["ttl_seconds"]
        path = call.result.get("path") if isinstance(call.result, dict) else None
        if isinstance(path, str):
            self.refs[path] = f"${name}.path"
        return {op: args, "as": name}

    def _save_weights(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._saved(call, "save_state", body)

    def _save_weights_external(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._saved(call, "save_weights_external", body)

    def _save_weights_for_sampler(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("path"):
            return self._saved(call, "save_weights_for_sampler", body)
        name = self._name("sampler")
        session = call.result.get("sampling_session_id") if isinstance(call.result, dict) else None
        if isinstance(session, str):
            self.samplers[session] = name
        client = self._client(body.get("model_id"))
        return {"save_weights_and_get_sampling_client": {"client": client}, "as": name}

    def _load_weights(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        name = self._name("resumed")
        args = {"path": self._ref(body.get("path")), "with_optimizer": bool(body.get("optimizer"))}
        if isinstance(body.get("model_id"), str):
            self.trainers[body["model_id"]] = name
        return {"create_training_client_from_state": args, "as": name}

    # --- sampling ----------------------------------------------------------------------------
    def _create_sampling_session(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        name = self._name("sampler")
        session = call.answer.get("sampling_session_id") if isinstance(call.answer, dict) else None
        if isinstance(session, str):
            self.samplers[session] = name
        if body.get("model_path"):
            return {"create_sampling_client": {"model_path": self._ref(body["model_path"])}, "as": name}
        return {"create_sampling_client": {"base_model": body.get("base_model")}, "as": name}

    def _asample(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        params = body.get("sampling_params") or {}
        client = self.samplers.get(str(body.get("sampling_session_id")), "sampler")
        prompt = _tokens(body.get("prompt"))
        logprobs_only = body.get("num_samples") == 1 and params.get("max_tokens") == 1 and "seed" not in params
        if logprobs_only and body.get("prompt_logprobs"):
            return {"compute_logprobs": {"client": client, "prompt": prompt}}
        args: dict[str, Any] = {"client": client, "prompt": prompt, "num_samples": body.get("num_samples", 1)}
        args |= {
            "max_tokens": params.get("max_tokens"),
            "seed": params.get("seed"),
            "temperature": params.get("temperature", 1.0),
        }
        if params.get("stop"):
            args["stop"] = params["stop"]
        args["include_prompt_logprobs"] = bool(body.get("prompt_logprobs"))
        args["topk_prompt_logprobs"] = int(body.get("topk_prompt_logprobs") or 0)
        return {"sample": args, "expect": {"sequences": {"length": args["num_samples"]}}}

    # --- REST and session --------------------------------------------------------------------
    def _rest(self, call: Call, op: str, **args: Any) -> dict[str, Any]:
        return {op: {k: self._ref(v) for k, v in args.items() if v is not None}}

    def _get_training_run(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._rest(call, "get_training_run", training_run_id=call.params.get("training_run_id"))

    def _list_checkpoints(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._rest(call, "list_checkpoints", training_run_id=call.params.get("training_run_id"))

    def _get_session(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._rest(call, "get_session", session_id=call.params.get("session_id"))

    def _export_session_trace(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._rest(call, "export_session_trace", session_id=call.params.get("session_id"))

    def _checkpoint(self, call: Call, op: str, **extra: Any) -> dict[str, Any]:
        path = f"tinker://{call.params.get('training_run_id')}/{call.params.get('checkpoint_id')}"
        return self._rest(call, op, path=path, **extra)

    def _delete_checkpoint(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._checkpoint(call, "delete_checkpoint")

    def _publish_checkpoint(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._checkpoint(call, "publish_checkpoint")

    def _unpublish_checkpoint(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._checkpoint(call, "unpublish_checkpoint")

    def _set_checkpoint_ttl(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        step = self._checkpoint(call, "set_checkpoint_ttl")
        step["set_checkpoint_ttl"]["ttl_seconds"] = body.get("ttl_seconds")
        return step

    def _finish_session(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        reason = body.get("reason") or {}
        args = {"status": reason.get("type", "success")} | ({"detail": body["detail"]} if body.get("detail") else {})
        return {"close": args}

    def _paged(self, call: Call, op: str) -> dict[str, Any]:
        return self._rest(call, op, **{k: int(v) for k, v in call.query.items() if k in ("limit", "offset")})

    def _get_server_capabilities(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return {"get_server_capabilities": {}}

    def _list_training_runs(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._paged(call, "list_training_runs")

    def _list_user_checkpoints(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._paged(call, "list_user_checkpoints")

    def _list_sessions(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        return self._paged(call, "list_sessions")
