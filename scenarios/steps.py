"""The steps of a scenario: the SDK-neutral vocabulary and the arguments of each operation.

A step in a scenario file is one mapping with exactly one operation key, plus optional modifiers::

    - forward_backward: {data: three}      # adapter operation (docs/adapter-protocol.md)
      as: fb1                              # name the result (and the future, with await: false)
      await: false                         # start it, answer later through `await: {ref: fb1}`
      expect: {loss: {gt: 0}}              # matchers on the result summary (scenarios.matchers)
      expect_error: rate_limited           # or a list of acceptable normalised error kinds
    - advance_clock: {seconds: 200}        # runner operation: never sent to the adapter

Operations map onto the public client API of protocol reference §18; arguments name what the
user passes, not the wire fields, so any SDK port can run them. Defaults keep files short: one
training client is ``train``, one sampler ``sampler``, the base model ``Qwen/Qwen3-8B``.
Values starting with ``$`` (``$state.path``) are replaced by a field of an earlier step's result.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tinker_harness.mock_server.faults.plan import FaultRule
from tinker_harness.scenarios.datasets import DATASETS, PROMPTS
from tinker_harness.scenarios.protocol import ERROR_KINDS

__all__ = ["MODIFIERS", "NAME_PATTERN", "STEP_OPS", "AnyStep", "Step", "StepBase", "Wait"]

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
MODIFIERS = ("as", "await", "expect", "expect_error", "timeout")
BASE_MODEL = "Qwen/Qwen3-8B"

ErrorKind = Annotated[str, Field(json_schema_extra={"enum": sorted(ERROR_KINDS)})]
DatasetName = Literal["tiny", "three", "five", "empty", "rl"]
PromptName = Literal["short", "sentence"]
assert set(get_args(DatasetName)) == set(DATASETS) and set(get_args(PromptName)) == set(PROMPTS)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepBase(BaseModel):
    """Modifiers every step may carry."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    as_: str | None = Field(default=None, alias="as", pattern=NAME_PATTERN)
    await_: bool = Field(default=True, alias="await")
    expect: dict[str, Any] | None = None
    expect_error: str | list[str] | None = None
    timeout: float = Field(default=60.0, gt=0, le=300)

    @model_validator(mode="after")
    def _coherent(self) -> StepBase:
        kinds = [self.expect_error] if isinstance(self.expect_error, str) else self.expect_error or []
        unknown = [k for k in kinds if k not in ERROR_KINDS]
        if unknown:
            raise ValueError(f"expect_error: unknown error kind(s) {unknown}; known: {sorted(ERROR_KINDS)}")
        if self.expect is not None and self.expect_error is not None:
            raise ValueError("a step expects either a result (expect) or an error (expect_error), not both")
        if not self.await_ and (self.expect is not None or self.expect_error is not None):
            raise ValueError("a step with await: false has no outcome yet: put expect/expect_error on its await step")
        if not self.await_ and self.as_ is None:
            raise ValueError("a step with await: false needs 'as' so that a later await step can name it")
        return self


# --- arguments ---------------------------------------------------------------------------------


class NoArgs(_Args):
    pass


class TrainingClientArgs(_Args):
    base_model: str = BASE_MODEL
    rank: int = Field(default=4, ge=1)
    seed: int | None = None
    train_mlp: bool = True
    train_attn: bool = True
    train_unembed: bool = True
    user_metadata: dict[str, str] | None = None


class FromStateArgs(_Args):
    path: str
    with_optimizer: bool = False


class SamplingClientArgs(_Args):
    base_model: str | None = None
    model_path: str | None = None

    @model_validator(mode="after")
    def _one(self) -> SamplingClientArgs:
        if self.base_model is None and self.model_path is None:
            raise ValueError("create_sampling_client needs base_model or model_path")
        return self


class ClientArgs(_Args):
    client: str = "train"


class DataArgs(ClientArgs):
    data: DatasetName
    loss_fn: str = "cross_entropy"
    loss_fn_config: dict[str, float | str] | None = None


class CustomLossArgs(ClientArgs):
    data: DatasetName
    loss: Literal["neg_mean_logprob"] = "neg_mean_logprob"


class OptimArgs(ClientArgs):
    learning_rate: float = Field(default=1e-3, ge=0)
    beta1: float | None = None
    beta2: float | None = None
    eps: float | None = None
    weight_decay: float | None = None
    grad_clip_norm: float | None = None


class SaveArgs(ClientArgs):
    name: str
    ttl_seconds: int | None = Field(default=None, gt=0)


class SampleArgs(_Args):
    client: str = "sampler"
    prompt: PromptName | list[int] = "short"
    num_samples: int = 1
    max_tokens: int = Field(default=4, ge=0)
    seed: int | None = 1
    temperature: float = 1.0
    stop: list[int] | None = None
    include_prompt_logprobs: bool = False
    topk_prompt_logprobs: int = Field(default=0, ge=0)


class LogprobsArgs(_Args):
    client: str = "sampler"
    prompt: PromptName | list[int] = "sentence"


class PageArgs(_Args):
    limit: int | None = Field(default=None, ge=0)
    offset: int | None = Field(default=None, ge=0)


class RunArgs(_Args):
    training_run_id: str


class PathArgs(_Args):
    path: str


class TtlArgs(PathArgs):
    ttl_seconds: int | None


class SessionArgs(_Args):
    session_id: str


class CloseArgs(_Args):
    status: Literal["success", "errored", "interrupted"] = "success"
    detail: str | None = None


class AwaitArgs(_Args):
    ref: str = Field(pattern=NAME_PATTERN)


class SecondsArgs(_Args):
    """``sleep``: real seconds, so kept short."""

    seconds: float = Field(gt=0, le=120)


class ClockArgs(_Args):
    """``advance_clock``: seconds of the server's frozen clock (up to 30 days)."""

    seconds: float = Field(gt=0, le=30 * 86400)


class Wait(_Args):
    """``wait_for``: poll the journal until ``count`` exchanges match ``select`` (or fail after ``timeout``)."""

    select: dict[str, Any]
    count: int = Field(default=1, ge=1)
    timeout: float = Field(default=15.0, gt=0, le=120)


class FaultsArgs(_Args):
    rules: list[FaultRule] = Field(default_factory=list)
    seed: int | None = None


class FetchArgs(_Args):
    """``fetch_urls``: GET every URL in a result field (no credentials), expecting 200."""

    ref: str = Field(pattern=r"^\$[a-z][a-z0-9_]*(\.[A-Za-z0-9_:-]+)+$")


# --- steps --------------------------------------------------------------------------------------

_DEFAULT_NAMES = {
    "create_training_client": "train",
    "create_training_client_from_state": "resumed",
    "create_sampling_client": "sampler",
    "save_weights_and_get_sampling_client": "sampler",
}


class _Step(StepBase):
    op: str
    args: _Args

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("op") in _DEFAULT_NAMES and "as" not in raw:
            return {**raw, "as": _DEFAULT_NAMES[raw["op"]]}
        return raw

    @property
    def name(self) -> str | None:
        return self.as_

    def wire_args(self) -> dict[str, Any]:
        """The arguments as sent to an adapter (defaults filled in; ``None`` values left out)."""
        return self.args.model_dump(mode="json", exclude_none=True)


class CreateTrainingClient(_Step):
    op: Literal["create_training_client"]
    args: TrainingClientArgs = TrainingClientArgs()


class CreateTrainingClientFromState(_Step):
    op: Literal["create_training_client_from_state"]
    args: FromStateArgs


class CreateSamplingClient(_Step):
    op: Literal["create_sampling_client"]
    args: SamplingClientArgs


class SaveAndSample(_Step):
    op: Literal["save_weights_and_get_sampling_client"]
    args: ClientArgs = ClientArgs()


class ForwardBackward(_Step):
    op: Literal["forward_backward"]
    args: DataArgs


class Forward(_Step):
    op: Literal["forward"]
    args: DataArgs


class ForwardBackwardCustom(_Step):
    op: Literal["forward_backward_custom"]
    args: CustomLossArgs


class OptimStep(_Step):
    op: Literal["optim_step"]
    args: OptimArgs = OptimArgs()


class SaveState(_Step):
    op: Literal["save_state"]
    args: SaveArgs


class SaveWeightsForSampler(_Step):
    op: Literal["save_weights_for_sampler"]
    args: SaveArgs


class SaveWeightsExternal(_Step):
    op: Literal["save_weights_external"]
    args: SaveArgs


class Sample(_Step):
    op: Literal["sample"]
    args: SampleArgs = SampleArgs()


class ComputeLogprobs(_Step):
    op: Literal["compute_logprobs"]
    args: LogprobsArgs = LogprobsArgs()


class GetServerCapabilities(_Step):
    op: Literal["get_server_capabilities"]
    args: NoArgs = NoArgs()


class GetTrainingRun(_Step):
    op: Literal["get_training_run"]
    args: RunArgs


class ListTrainingRuns(_Step):
    op: Literal["list_training_runs"]
    args: PageArgs = PageArgs()


class ListCheckpoints(_Step):
    op: Literal["list_checkpoints"]
    args: RunArgs


class ListUserCheckpoints(_Step):
    op: Literal["list_user_checkpoints"]
    args: PageArgs = PageArgs()


class DeleteCheckpoint(_Step):
    op: Literal["delete_checkpoint"]
    args: PathArgs


class PublishCheckpoint(_Step):
    op: Literal["publish_checkpoint"]
    args: PathArgs


class UnpublishCheckpoint(_Step):
    op: Literal["unpublish_checkpoint"]
    args: PathArgs


class SetCheckpointTtl(_Step):
    op: Literal["set_checkpoint_ttl"]
    args: TtlArgs


class GetWeightsInfo(_Step):
    op: Literal["get_weights_info"]
    args: PathArgs


class GetExternalWeightsUrls(_Step):
    op: Literal["get_external_weights_urls"]
    args: PathArgs


class GetSession(_Step):
    op: Literal["get_session"]
    args: SessionArgs


class ListSessions(_Step):
    op: Literal["list_sessions"]
    args: PageArgs = PageArgs()


class ExportSessionTrace(_Step):
    op: Literal["export_session_trace"]
    args: SessionArgs


class Close(_Step):
    op: Literal["close"]
    args: CloseArgs = CloseArgs()


class Await(_Step):
    op: Literal["await"]
    args: AwaitArgs


class AdvanceClock(_Step):
    op: Literal["advance_clock"]
    args: ClockArgs


class Sleep(_Step):
    op: Literal["sleep"]
    args: SecondsArgs


class WaitFor(_Step):
    op: Literal["wait_for"]
    args: Wait


class SetFaults(_Step):
    op: Literal["set_faults"]
    args: FaultsArgs = FaultsArgs()


class FetchUrls(_Step):
    op: Literal["fetch_urls"]
    args: FetchArgs


Step = Annotated[
    CreateTrainingClient
    | CreateTrainingClientFromState
    | CreateSamplingClient
    | SaveAndSample
    | ForwardBackward
    | Forward
    | ForwardBackwardCustom
    | OptimStep
    | SaveState
    | SaveWeightsForSampler
    | SaveWeightsExternal
    | Sample
    | ComputeLogprobs
    | GetServerCapabilities
    | GetTrainingRun
    | ListTrainingRuns
    | ListCheckpoints
    | ListUserCheckpoints
    | DeleteCheckpoint
    | PublishCheckpoint
    | UnpublishCheckpoint
    | SetCheckpointTtl
    | GetWeightsInfo
    | GetExternalWeightsUrls
    | GetSession
    | ListSessions
    | ExportSessionTrace
    | Close
    | Await
    | AdvanceClock
    | Sleep
    | WaitFor
    | SetFaults
    | FetchUrls,
    Field(discriminator="op"),
]
AnyStep = _Step

STEP_OPS: tuple[str, ...] = tuple(
    cls.model_fields["op"].annotation.__args__[0]  # type: ignore[union-attr]
    for cls in _Step.__subclasses__()
)
