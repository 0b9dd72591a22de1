"""The official SDK's end-to-end flow as a sequence of features, against any Tinker server.

Run with the interpreter of one SDK version's own virtual environment; it imports only the
standard library and that version's ``tinker`` (and torch for the custom loss, from
``CERTIFY_TORCH_PATH``, appended after the environment's own packages). Only the public API of
the SDK is used, and what a version lacks (archive, finish, a loss) is found by feature test,
never by version number, so the same file runs unmodified on every generation.

Every feature prints one JSON line on stdout: ``{"feature", "status", "seconds", "detail", "error"}``
with status ``pass``, ``fail``, ``n/a`` (this SDK has no such API), ``blocked`` (a feature it needs
failed) or ``skipped`` (torch missing). A failure carries the exception and where it was raised in
the SDK (``sdk_frames``: the SDK's own frames, outermost first, as ``tinker/...py:line in function``).
Before each feature the driver asks the certify proxy (``CERTIFY_MARK_URL``) to mark its journal,
so the report can show the requests of the failing feature. Environment: ``TINKER_BASE_URL``,
``TINKER_API_KEY``, ``CERTIFY_BASE_MODEL`` (default: ``Qwen/Qwen3-8B`` if served, else the first
model the server lists), ``CERTIFY_STEP_TIMEOUT`` (seconds per feature, default 180).
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import tarfile
import threading
import time
import traceback
import typing
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

if os.environ.get("CERTIFY_TORCH_PATH"):
    sys.path.append(os.environ["CERTIFY_TORCH_PATH"])

import tinker  # noqa: E402
from tinker import types  # noqa: E402

PREFERRED_MODEL = "Qwen/Qwen3-8B"
RANK = 8
# Token ids below 500: valid for every tokenizer a Tinker server could use.
SEQUENCES = [[300, 362, 262, 67, 88, 288, 261, 473, 489, 16], [43, 85, 263, 262, 420, 339, 462, 464, 68, 71]]
PROMPT = [300, 362, 262]
LOGPROB_TOLERANCE = 0.05  # nats: sampler vs trainer, resumed vs saved (servers may compute in bf16)


class CheckFailed(Exception):
    """The SDK call worked but the server's answer does not mean what the protocol says."""


class NotAvailable(Exception):
    """This SDK version has no public API for the feature."""


class Skipped(Exception):
    """The feature cannot be measured here (e.g. torch is not installed)."""


def resolve(value: Any) -> Any:
    """Client-creating calls return the client (old SDKs) or a future of it (new SDKs)."""
    if type(value).__name__.endswith("Future") and hasattr(value, "result"):
        return value.result()
    return value


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def datum(ids: list[int], inputs: dict[str, list[float]] | None = None) -> Any:
    n = len(ids) - 1
    loss_inputs: Any = {"target_tokens": ids[1:], **(inputs or {"weights": [1.0] * n})}
    return types.Datum(model_input=types.ModelInput.from_ints(ids[:-1]), loss_fn_inputs=loss_inputs)


def rl_inputs(n: int, loss: str) -> dict[str, list[float]]:
    inputs = {"logprobs": [-2.5] * n, "advantages": [0.5 if i % 2 == 0 else -0.25 for i in range(n)]}
    if loss == "gspo":
        inputs["sequence_ratio_mask"] = [1.0] * n
    return inputs


def logprobs_of(output: Any) -> list[float]:
    return [float(x) for x in output.loss_fn_outputs[0]["logprobs"].tolist()]


def finite_loss(out: Any, what: str) -> float:
    metrics = {k: float(v) for k, v in out.metrics.items()}
    check("loss:sum" in metrics, f"{what}: metrics {sorted(metrics)} have no 'loss:sum'")
    check(math.isfinite(metrics["loss:sum"]), f"{what}: loss:sum is {metrics['loss:sum']}")
    return metrics["loss:sum"]


class Flow:
    """The shared state of one run: clients, paths and values later features compare against."""

    def __init__(self) -> None:
        self.service: Any = None
        self.base_model = os.environ.get("CERTIFY_BASE_MODEL", "")
        self.training: Any = None
        self.data = [datum(ids) for ids in SEQUENCES]
        self.forward_logprobs: list[float] = []
        self.state_path = ""
        self.sampler_path = ""
        self.sampling: Any = None
        self.rest: Any = None

    def session(self) -> str:
        self.service = tinker.ServiceClient()
        capabilities = resolve(self.service.get_server_capabilities())
        names = [m.model_name for m in capabilities.supported_models]
        check(bool(names), "get_server_capabilities lists no supported models")
        if not self.base_model:
            self.base_model = PREFERRED_MODEL if PREFERRED_MODEL in names else str(names[0])
        return f"{len(names)} model(s); using {self.base_model}"

    def training_(self) -> str:
        self.training = resolve(self.service.create_lora_training_client(base_model=self.base_model, rank=RANK))
        check(bool(getattr(self.training, "model_id", None)), "the training client has no model_id")
        out = self.training.forward_backward(self.data, "cross_entropy").result()
        loss = finite_loss(out, "forward_backward(cross_entropy)")
        check(len(out.loss_fn_outputs) == len(self.data), f"{len(out.loss_fn_outputs)} outputs for 2 datums")
        lengths = [len(o["logprobs"].tolist()) for o in out.loss_fn_outputs]
        check(lengths == [len(s) - 1 for s in SEQUENCES], f"logprobs lengths {lengths}, expected 9 and 9")
        forward = self.training.forward([self.data[0]], "cross_entropy").result()
        check(len(logprobs_of(forward)) == len(SEQUENCES[0]) - 1, "forward: logprobs of the wrong length")
        return f"model {self.training.model_id}; loss:sum {loss:.4f}"

    def optimizer(self) -> str:
        losses = []
        for _ in range(4):
            fwdbwd = self.training.forward_backward(self.data, "cross_entropy")
            optim = self.training.optim_step(types.AdamParams(learning_rate=0.02))
            losses.append(finite_loss(fwdbwd.result(), "forward_backward"))
            optim.result()
        after = finite_loss(self.training.forward(self.data, "cross_entropy").result(), "forward after 4 steps")
        check(after < losses[0], f"4 AdamW steps (lr 0.02) did not lower the loss: {losses[0]:.4f} -> {after:.4f}")
        self.forward_logprobs = logprobs_of(self.training.forward([self.data[0]], "cross_entropy").result())
        return f"loss {losses[0]:.4f} -> {after:.4f} over 4 steps"

    def loss(self, name: str) -> Callable[[], str]:
        def run() -> str:
            n = len(SEQUENCES[0]) - 1
            inputs = None if name == "cross_entropy" else rl_inputs(n, name)
            out = self.training.forward_backward([datum(SEQUENCES[0], inputs)], name).result()
            return f"loss:sum {finite_loss(out, f'forward_backward({name})'):.4f}"

        return run

    def checkpoints(self) -> str:
        self.state_path = self.training.save_state("certify-state").result().path
        self.sampler_path = self.training.save_weights_for_sampler("certify-sampler").result().path
        for path in (self.state_path, self.sampler_path):
            check(str(path).startswith("tinker://"), f"checkpoint path {path!r} is not a tinker:// path")
        resumed = resolve(self.service.create_training_client_from_state_with_optimizer(self.state_path))
        again = logprobs_of(resumed.forward([self.data[0]], "cross_entropy").result())
        gap = max(abs(a - b) for a, b in zip(again, self.forward_logprobs, strict=True))
        check(gap <= LOGPROB_TOLERANCE, f"the resumed model's logprobs differ from the saved one's by {gap:.4f}")
        return f"{self.state_path}; resumed, logprobs within {gap:.2g}"

    def sampling_(self) -> str:
        self.sampling = resolve(self.training.save_weights_and_get_sampling_client())
        params = types.SamplingParams(max_tokens=5, seed=3)
        prompt = types.ModelInput.from_ints(PROMPT)
        sample = self.sampling.sample(prompt=prompt, num_samples=2, sampling_params=params).result()
        check(len(sample.sequences) == 2, f"num_samples=2 gave {len(sample.sequences)} sequence(s)")
        lengths = [len(s.tokens) for s in sample.sequences]
        check(all(1 <= n <= 5 for n in lengths), f"max_tokens=5 gave sequences of {lengths} tokens")
        by_path = resolve(self.service.create_sampling_client(model_path=self.sampler_path))
        other = by_path.sample(prompt=prompt, num_samples=1, sampling_params=params).result()
        check(len(other.sequences) == 1, "sampling from the saved sampler path gave no sequence")
        base = resolve(self.service.create_sampling_client(base_model=self.base_model))
        check(len(base.sample(prompt=prompt, num_samples=1, sampling_params=params).result().sequences) == 1,
              "sampling from the base model gave no sequence")  # fmt: skip
        return f"sequences of {lengths} tokens"

    def logprobs(self) -> str:
        values = self.sampling.compute_logprobs(types.ModelInput.from_ints(SEQUENCES[0])).result()
        check(len(values) == len(SEQUENCES[0]), f"compute_logprobs gave {len(values)} values for 10 tokens")
        check(values[0] is None, f"the first token's logprob should be None, got {values[0]!r}")
        gap = max(abs(float(a) - b) for a, b in zip(values[1:], self.forward_logprobs, strict=True))
        check(gap <= LOGPROB_TOLERANCE, f"sampler and trainer logprobs of the same weights differ by {gap:.4f}")
        return f"agrees with the trainer within {gap:.2g}"

    def rest_(self) -> str:
        self.rest = self.service.create_rest_client()
        model_id = self.training.model_id
        run = self.rest.get_training_run(model_id).result()
        check(run.training_run_id == model_id, f"get_training_run gave {run.training_run_id!r} for {model_id!r}")
        check(run.base_model == self.base_model, f"training run base_model {run.base_model!r}")
        listed = {c.tinker_path for c in self.rest.list_checkpoints(model_id).result().checkpoints}
        check({self.state_path, self.sampler_path} <= listed, f"list_checkpoints lacks saved paths: {sorted(listed)}")
        doomed = self.training.save_state("certify-delete").result().path
        delete = getattr(self.rest, "delete_checkpoint_from_tinker_path", None)
        if delete is not None:
            resolve(delete(doomed))
            left = {c.tinker_path for c in self.rest.list_checkpoints(model_id).result().checkpoints}
            check(doomed not in left, f"{doomed} is still listed after delete_checkpoint")
        return f"run and {len(listed)} checkpoint(s) listed" + ("; delete works" if delete else "")

    def archive(self) -> str:
        call = getattr(self.rest, "get_checkpoint_archive_url_from_tinker_path", None)
        if call is None:
            raise NotAvailable("this SDK has no RestClient.get_checkpoint_archive_url_from_tinker_path")
        url = resolve(call(self.state_path))
        url = str(getattr(url, "url", url))
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            names = tar.getnames()
        check(bool(names), "the checkpoint archive is an empty tar")
        return f"{len(names)} file(s), {len(data)} bytes"

    def custom_loss(self) -> str:
        try:
            import torch
        except ImportError:
            raise Skipped("torch is not importable in this environment") from None

        def neg_logprob(data: Any, logprobs: list[Any]) -> Any:
            total = sum((-lp.sum() for lp in logprobs), torch.zeros(()))
            return total, {"custom/neg_logprob:sum": float(total.detach())}

        out = self.training.forward_backward_custom(self.data, neg_logprob).result()
        metrics = {k: float(v) for k, v in out.metrics.items()}
        check("custom/neg_logprob:sum" in metrics, f"the custom metric is missing from {sorted(metrics)}")
        return f"custom/neg_logprob:sum {metrics['custom/neg_logprob:sum']:.4f}"

    def finish(self) -> str:
        close = getattr(self.service, "close", None)
        if close is None:
            raise NotAvailable("this SDK has no ServiceClient.close (sessions end by missed heartbeats)")
        resolve(close("success"))
        return "session finished"


def loss_names() -> list[str]:
    """The loss functions this SDK's ``LossFnType`` names (``custom`` has its own feature)."""
    return [n for n in typing.get_args(types.LossFnType) if n != "custom"]


def features(flow: Flow) -> list[tuple[str, Callable[[], str], tuple[str, ...]]]:
    """(feature, step, features it needs), in the order they run."""
    steps: list[tuple[str, Callable[[], str], tuple[str, ...]]] = [
        ("session", flow.session, ()),
        ("training", flow.training_, ("session",)),
        ("optimizer", flow.optimizer, ("training",)),
    ]
    steps += [(f"loss:{name}", flow.loss(name), ("training",)) for name in loss_names()]
    steps += [
        ("checkpoints", flow.checkpoints, ("optimizer",)),
        ("sampling", flow.sampling_, ("optimizer",)),
        ("logprobs", flow.logprobs, ("sampling",)),
        ("rest", flow.rest_, ("checkpoints",)),
        ("archive", flow.archive, ("rest",)),
        ("custom_loss", flow.custom_loss, ("training",)),
        ("finish", flow.finish, ("session",)),
    ]
    return steps


def sdk_frames(exc: BaseException) -> list[str]:
    """The SDK's own frames of the traceback (outermost first) as ``tinker/x.py:line in function``."""
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        marker = f"{os.sep}tinker{os.sep}"
        if marker in frame.filename:
            relative = "tinker/" + frame.filename.split(marker, 1)[1].replace(os.sep, "/")
            frames.append(f"{relative}:{frame.lineno} in {frame.name}")
    return frames


def mark(label: str) -> None:
    url = os.environ.get("CERTIFY_MARK_URL")
    if url:
        request = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'label': label})}", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


def emit(record: dict[str, Any]) -> None:
    sys.__stdout__.write(json.dumps(record, default=str) + "\n")  # type: ignore[union-attr]
    sys.__stdout__.flush()  # type: ignore[union-attr]


def run_step(step: Callable[[], str], timeout: float) -> tuple[str, str, dict[str, Any] | None]:
    """Run one step on a thread (a hung server must not hang the driver): status, detail, error."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["detail"] = step()
        except BaseException as exc:  # noqa: BLE001 - every failure is reported
            outcome["exc"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return "fail", "", {"type": "Timeout", "message": f"no outcome within {timeout:g} s", "sdk_frames": []}
    exc = outcome.get("exc")
    if exc is None:
        return "pass", str(outcome.get("detail", "")), None
    if isinstance(exc, NotAvailable):
        return "n/a", str(exc), None
    if isinstance(exc, Skipped):
        return "skipped", str(exc), None
    error: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)[:2000], "sdk_frames": sdk_frames(exc)}
    error["check"] = isinstance(exc, CheckFailed)
    return "fail", "", error


def main() -> int:
    sys.stdout = sys.stderr  # SDK prints must not reach the result stream
    timeout = float(os.environ.get("CERTIFY_STEP_TIMEOUT", "180"))
    emit({"type": "hello", "sdk_version": getattr(tinker, "__version__", "?"), "losses": loss_names()})
    flow = Flow()
    done: dict[str, str] = {}
    hung = False
    for name, step, needs in features(flow):
        started = time.monotonic()
        failed_needs = [n for n in needs if done.get(n) != "pass"]
        if hung or failed_needs:
            reason = "an earlier step hung" if hung else f"needs {', '.join(failed_needs)}"
            status, detail, error = "blocked", reason, None
        else:
            mark(name)
            status, detail, error = run_step(step, timeout)
            hung = error is not None and error["type"] == "Timeout"
        done[name] = status
        emit({"type": "feature", "feature": name, "status": status, "seconds": round(time.monotonic() - started, 3),
              "detail": detail, "error": error})  # fmt: skip
    mark("end")
    emit({"type": "done"})
    os._exit(0)  # the SDK's background threads (heartbeat, telemetry) must not keep the process alive


if __name__ == "__main__":
    sys.exit(main())
