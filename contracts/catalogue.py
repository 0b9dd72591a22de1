"""The endpoint catalogue as data (protocol reference §5, rows 1-46, plus the legacy rows of
versions §2, docs/protocol-generations.md).

One :class:`Endpoint` per method and path: its request and response models, whether it answers
with a future and the future's result type, and how bodies are encoded. The mock server builds its
routes from this table, the journal validates traffic against it, and the OpenAPI document is
generated from it, so the three cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from google.protobuf.message import Message
from pydantic import BaseModel

from tinker_harness.contracts import _admin as admin
from tinker_harness.contracts import _checkpoints as ckpt
from tinker_harness.contracts import _futures as fut
from tinker_harness.contracts import _queries as q
from tinker_harness.contracts import _sampling as smp
from tinker_harness.contracts import _service as svc
from tinker_harness.contracts import _sessions as sess
from tinker_harness.contracts import _telemetry as tel
from tinker_harness.contracts import _training as trn
from tinker_harness.contracts._base import WireModel
from tinker_harness.contracts._schema_rules import CHECKPOINT_KINDS
from tinker_harness.contracts.proto import tinker_public_pb2 as pb

__all__ = ["CATALOGUE", "Encoding", "Endpoint", "Generation", "endpoint_named", "endpoints_at", "match_endpoint"]

Encoding = Literal["json", "protobuf", "none"]
Generation = Literal["0.15", "0.22", "0.30", "0.38"]
ALL_GENERATIONS: frozenset[Generation] = frozenset({"0.15", "0.22", "0.30", "0.38"})

_PARAM = re.compile(r"\{([a-z_]+)\}")
_CHECKPOINT_ID = re.compile(rf"^({'|'.join(CHECKPOINT_KINDS)})/[^/]+$")


@dataclass(frozen=True)
class Endpoint:
    """One HTTP endpoint of the Tinker API."""

    name: str
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    summary: str
    section: str
    request: type[WireModel] | None = None
    response: type[WireModel] | None = None
    future_result: type[WireModel] | None = None
    request_encoding: Encoding = "json"
    result_encoding: Encoding = "json"
    proto_request: type[Message] | None = None
    proto_result: type[Message] | None = None
    query: type[BaseModel] | None = None
    request_type: str | None = None
    # Path parameters whose values may contain one "/" (checkpoint ids: "weights/<name>").
    slash_params: frozenset[str] = frozenset()
    generations: frozenset[Generation] = ALL_GENERATIONS
    tags: tuple[str, ...] = field(default=())

    @property
    def returns_future(self) -> bool:
        return self.future_result is not None or self.proto_result is not None

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Regex matching concrete paths; slash params take one or two segments, others one."""
        regex = ""
        pos = 0
        for m in _PARAM.finditer(self.path):
            regex += re.escape(self.path[pos : m.start()])
            segment = r"[^/]+(?:/[^/]+)?" if m.group(1) in self.slash_params else r"[^/]+"
            regex += f"(?P<{m.group(1)}>{segment})"
            pos = m.end()
        regex += re.escape(self.path[pos:])
        return re.compile(f"^{regex}$")

    @cached_property
    def literal_segments(self) -> int:
        return sum(1 for part in self.path.split("/") if part and not _PARAM.fullmatch(part))


_CKPT = frozenset({"checkpoint_id"})


CATALOGUE: tuple[Endpoint, ...] = (
    # --- client bootstrap and sessions (§4) ---
    Endpoint(
        "client_config",
        "POST",
        "/api/v1/client/config",
        "Server feature flags for this SDK version",
        "§4.1, §5 row 1",
        svc.ClientConfigRequest,
        svc.ClientConfigResponse,
        generations=frozenset({"0.22", "0.30", "0.38"}),
        tags=("service",),
    ),
    Endpoint(
        "client_dynamic_config",
        "POST",
        "/api/v1/client/dynamic_config",
        "Refreshable client flags",
        "§4.1, §5 row 2",
        svc.ClientConfigRequest,
        svc.ClientDynamicConfigResponse,
        generations=frozenset({"0.30", "0.38"}),
        tags=("service",),
    ),
    Endpoint(
        "create_session",
        "POST",
        "/api/v1/create_session",
        "Open a client session",
        "§4.2, §5 row 3",
        svc.CreateSessionRequest,
        svc.CreateSessionResponse,
        tags=("sessions",),
    ),
    Endpoint(
        "session_heartbeat",
        "POST",
        "/api/v1/session_heartbeat",
        "Keep a session alive",
        "§4.3, §5 row 4",
        svc.SessionHeartbeatRequest,
        svc.SessionHeartbeatResponse,
        tags=("sessions",),
    ),
    Endpoint(
        "finish_session",
        "POST",
        "/api/v1/sessions/{session_id}/finish",
        "Close a session with a reason",
        "§4.4, §5 row 5",
        svc.SessionFinishRequest,
        None,
        generations=frozenset({"0.30", "0.38"}),
        tags=("sessions",),
    ),
    Endpoint(
        "auth_token",
        "POST",
        "/api/v1/auth/token",
        "Exchange a credential for a JWT (JWT mode)",
        "§12, §5 row 6",
        svc.AuthTokenRequest,
        svc.AuthTokenResponse,
        generations=frozenset({"0.22", "0.30", "0.38"}),
        tags=("auth",),
    ),
    Endpoint(
        "healthz",
        "GET",
        "/api/v1/healthz",
        "Liveness probe",
        "§5 row 7",
        None,
        svc.HealthResponse,
        request_encoding="none",
        tags=("service",),
    ),
    Endpoint(
        "get_server_capabilities",
        "GET",
        "/api/v1/get_server_capabilities",
        "Supported base models",
        "§5 row 8",
        None,
        svc.GetServerCapabilitiesResponse,
        request_encoding="none",
        tags=("service",),
    ),
    # --- training (§8) ---
    Endpoint(
        "create_model",
        "POST",
        "/api/v1/create_model",
        "Create a LoRA training run",
        "§8.1, §5 row 9",
        trn.CreateModelRequest,
        fut.UntypedAPIFuture,
        trn.CreateModelResponse,
        request_type="CreateModel",
        tags=("training",),
    ),
    Endpoint(
        "get_info",
        "POST",
        "/api/v1/get_info",
        "Model metadata and tokenizer id",
        "§5.2, §5 row 10",
        trn.GetInfoRequest,
        trn.GetInfoResponse,
        tags=("training",),
    ),
    Endpoint(
        "forward",
        "POST",
        "/api/v1/forward",
        "Forward pass (JSON, SDK 0.15-0.22)",
        "versions §3",
        trn.ForwardRequestBody,
        fut.UntypedAPIFuture,
        trn.JsonForwardBackwardOutput,
        result_encoding="protobuf",
        proto_result=pb.ForwardBackwardOutput,
        request_type="Forward",
        generations=frozenset({"0.15", "0.22"}),
        tags=("training",),
    ),
    Endpoint(
        "forward_backward",
        "POST",
        "/api/v1/forward_backward",
        "Forward and backward pass",
        "§7.1, §8.4, §5 row 11",
        None,
        fut.UntypedAPIFuture,
        trn.JsonForwardBackwardOutput,
        request_encoding="protobuf",
        result_encoding="protobuf",
        proto_request=pb.ForwardBackwardRequest,
        proto_result=pb.ForwardBackwardOutput,
        request_type="ForwardBackward",
        tags=("training",),
    ),
    Endpoint(
        "optim_step",
        "POST",
        "/api/v1/optim_step",
        "Apply accumulated gradients",
        "§5.1, §5 row 12",
        trn.OptimStepRequest,
        fut.UntypedAPIFuture,
        trn.OptimStepResponse,
        request_type="OptimStep",
        tags=("training",),
    ),
    Endpoint(
        "save_weights",
        "POST",
        "/api/v1/save_weights",
        "Save weights and optimizer state",
        "§5.1, §5 row 13",
        trn.SaveWeightsRequest,
        fut.UntypedAPIFuture,
        trn.SaveWeightsResponse,
        request_type="SaveWeights",
        tags=("checkpoints",),
    ),
    Endpoint(
        "save_weights_for_sampler",
        "POST",
        "/api/v1/save_weights_for_sampler",
        "Save sampler weights, or snapshot into a sampling session",
        "§5.1, §5 row 14",
        trn.SaveWeightsForSamplerRequest,
        fut.UntypedAPIFuture,
        trn.SaveWeightsForSamplerResponseInternal,
        request_type="SaveWeightsForSampler",
        tags=("checkpoints",),
    ),
    Endpoint(
        "save_weights_external",
        "POST",
        "/api/v1/save_weights_external",
        "Export weights for download",
        "§5.1, §5 row 15",
        trn.SaveWeightsExternalRequest,
        fut.UntypedAPIFuture,
        trn.SaveWeightsExternalResponseInternal,
        request_type="SaveWeightsExternal",
        generations=frozenset({"0.30", "0.38"}),
        tags=("checkpoints",),
    ),
    Endpoint(
        "load_weights",
        "POST",
        "/api/v1/load_weights",
        "Load a checkpoint (create-via-load or legacy)",
        "§5.1, §8.1, §5 row 16",
        trn.LoadWeightsRequest,
        fut.UntypedAPIFuture,
        trn.LoadWeightsResponse,
        request_type="LoadWeights",
        tags=("checkpoints",),
    ),
    Endpoint(
        "unload_model",
        "POST",
        "/api/v1/unload_model",
        "Unload a model (resource only, no SDK caller)",
        "versions §10 item 15",
        trn.UnloadModelRequest,
        fut.UntypedAPIFuture,
        trn.UnloadModelResponse,
        request_type="UnloadModel",
        tags=("training",),
    ),
    Endpoint(
        "create_custom_loss",
        "POST",
        "/api/v1/create_custom_loss",
        "Register a server-side custom loss",
        "§5.1, §8.5, §5 row 23",
        trn.CreateCustomLossRequest,
        fut.UntypedAPIFuture,
        trn.CreateCustomLossResponse,
        request_type="CreateCustomLoss",
        generations=frozenset({"0.38"}),
        tags=("training",),
    ),
    # --- sampling (§9) ---
    Endpoint(
        "create_sampling_session",
        "POST",
        "/api/v1/create_sampling_session",
        "Open a sampler",
        "§9.1, §5 row 17",
        smp.CreateSamplingSessionRequest,
        smp.CreateSamplingSessionResponse,
        tags=("sampling",),
    ),
    Endpoint(
        "join_sampling_session",
        "POST",
        "/api/v1/join_sampling_session",
        "Join a sampler from a clone",
        "§9.2, §5 row 18",
        smp.JoinSamplingSessionRequest,
        smp.JoinSamplingSessionResponse,
        generations=frozenset({"0.38"}),
        tags=("sampling",),
    ),
    Endpoint(
        "asample",
        "POST",
        "/api/v1/asample",
        "Sample completions",
        "§9.3, §5 row 19",
        smp.SampleRequest,
        fut.UntypedAPIFuture,
        smp.JsonSampleResponse,
        result_encoding="protobuf",
        proto_result=pb.SampleResponse,
        request_type="Sample",
        tags=("sampling",),
    ),
    Endpoint(
        "get_sampler",
        "GET",
        "/api/v1/samplers/{sampler_id}",
        "Sampler metadata",
        "§5 row 25",
        None,
        smp.GetSamplerResponse,
        request_encoding="none",
        tags=("sampling",),
    ),
    # --- futures (§6) ---
    Endpoint(
        "retrieve_future",
        "POST",
        "/api/v1/retrieve_future",
        "Long-poll one future",
        "§6, §5 row 20",
        fut.FutureRetrieveRequest,
        None,
        tags=("futures",),
    ),
    Endpoint(
        "retrieve_futures",
        "POST",
        "/api/v1/retrieve_futures",
        "Long-poll a sampler's completions",
        "§6.5, §5 row 21",
        fut.FuturesRetrieveRequest,
        fut.FuturesRetrieveResponse,
        generations=frozenset({"0.30", "0.38"}),
        tags=("futures",),
    ),
    Endpoint(
        "cancel_future",
        "POST",
        "/api/v1/cancel_future",
        "Abandon a sample future",
        "§9.4, §5 row 22",
        fut.CancelFutureRequest,
        None,
        generations=frozenset({"0.30", "0.38"}),
        tags=("futures",),
    ),
    Endpoint(
        "telemetry",
        "POST",
        "/api/v1/telemetry",
        "Telemetry batch",
        "§11, §5 row 24",
        tel.TelemetrySendRequest,
        tel.TelemetryResponse,
        tags=("telemetry",),
    ),
    # --- REST: training runs and checkpoints (§10) ---
    Endpoint(
        "list_training_runs",
        "GET",
        "/api/v1/training_runs",
        "List training runs",
        "§10, §5 row 26",
        None,
        ckpt.TrainingRunsResponse,
        request_encoding="none",
        query=q.ListTrainingRunsQuery,
        tags=("rest",),
    ),
    Endpoint(
        "get_training_run",
        "GET",
        "/api/v1/training_runs/{training_run_id}",
        "One training run",
        "§10, §5 row 27",
        None,
        ckpt.TrainingRun,
        request_encoding="none",
        query=q.AccessScopeQuery,
        tags=("rest",),
    ),
    Endpoint(
        "list_checkpoints",
        "GET",
        "/api/v1/training_runs/{training_run_id}/checkpoints",
        "Checkpoints of one run",
        "§10, §5 row 28",
        None,
        ckpt.CheckpointsListResponse,
        request_encoding="none",
        tags=("rest",),
    ),
    Endpoint(
        "list_user_checkpoints",
        "GET",
        "/api/v1/checkpoints",
        "All checkpoints of the caller",
        "§10, §5 row 29",
        None,
        ckpt.CheckpointsListResponse,
        request_encoding="none",
        query=q.ListCheckpointsQuery,
        tags=("rest",),
    ),
    Endpoint(
        "delete_checkpoint",
        "DELETE",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}",
        "Delete a checkpoint",
        "§10, §5 row 30",
        request_encoding="none",
        slash_params=_CKPT,
        tags=("rest",),
    ),
    Endpoint(
        "publish_checkpoint",
        "POST",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/publish",
        "Make a checkpoint public",
        "§10, §5 row 31",
        request_encoding="none",
        slash_params=_CKPT,
        tags=("rest",),
    ),
    Endpoint(
        "unpublish_checkpoint",
        "DELETE",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/publish",
        "Make a checkpoint private",
        "§10, §5 row 32",
        request_encoding="none",
        slash_params=_CKPT,
        tags=("rest",),
    ),
    Endpoint(
        "set_checkpoint_ttl",
        "PUT",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/ttl",
        "Set or remove a checkpoint's TTL",
        "§10, §5 row 33",
        ckpt.SetCheckpointTtlRequest,
        slash_params=_CKPT,
        tags=("rest",),
    ),
    Endpoint(
        "external_weights_urls",
        "GET",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/external_weights_urls",
        "Signed download URLs of an export",
        "§13, §5 row 34",
        None,
        ckpt.ExternalWeightsUrlsResponse,
        request_encoding="none",
        slash_params=_CKPT,
        generations=frozenset({"0.30", "0.38"}),
        tags=("rest",),
    ),
    Endpoint(
        "checkpoint_archive",
        "GET",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_id}/archive",
        "Legacy archive download (302 to a signed URL)",
        "versions §7",
        None,
        ckpt.CheckpointArchiveUrlResponse,
        request_encoding="none",
        slash_params=_CKPT,
        generations=frozenset({"0.15", "0.22", "0.30"}),
        tags=("rest",),
    ),
    Endpoint(
        "weights_info",
        "POST",
        "/api/v1/weights_info",
        "Describe a checkpoint",
        "§10, §5 row 35",
        ckpt.WeightsInfoRequest,
        ckpt.WeightsInfoResponse,
        tags=("rest",),
    ),
    Endpoint(
        "copy_weights",
        "POST",
        "/api/v1/copy_weights",
        "Copy a checkpoint to a project",
        "§10, §5 row 36",
        ckpt.CopyWeightsRequest,
        ckpt.CopyWeightsResponse,
        generations=frozenset({"0.30", "0.38"}),
        tags=("rest",),
    ),
    # --- REST: sessions (§10) ---
    Endpoint(
        "list_sessions",
        "GET",
        "/api/v1/sessions",
        "List session ids",
        "§10, §5 row 37",
        None,
        sess.ListSessionsResponse,
        request_encoding="none",
        query=q.ListSessionsQuery,
        tags=("rest",),
    ),
    Endpoint(
        "get_session",
        "GET",
        "/api/v1/sessions/{session_id}",
        "One session",
        "§10, §5 row 38",
        None,
        sess.GetSessionResponse,
        request_encoding="none",
        query=q.AccessScopeQuery,
        tags=("rest",),
    ),
    Endpoint(
        "assign_session_project",
        "PUT",
        "/api/v1/sessions/{session_id}/project",
        "Move a session",
        "§10, §5 row 39",
        sess.AssignSessionProjectRequest,
        generations=frozenset({"0.22", "0.30", "0.38"}),
        tags=("rest",),
    ),
    Endpoint(
        "export_session_trace",
        "GET",
        "/api/v1/sessions/{session_id}/trace_export",
        "Trace export status",
        "§10, §5 row 40",
        None,
        sess.TraceExportResponse,
        request_encoding="none",
        generations=frozenset({"0.30", "0.38"}),
        tags=("rest",),
    ),
    Endpoint(
        "search_sessions",
        "POST",
        "/api/v1/sessions/search",
        "Keyset-paged session search",
        "§10, §5 row 41",
        sess.SessionSearchRequest,
        sess.SessionSearchResponse,
        generations=frozenset({"0.38"}),
        tags=("rest",),
    ),
    # --- admin, billing, CLI auth (§5 rows 42-46) ---
    Endpoint(
        "audit_log",
        "GET",
        "/api/v1/audit",
        "Audit log (may redirect)",
        "§5 row 42",
        None,
        admin.AuditLogResponse,
        request_encoding="none",
        query=q.AuditLogQuery,
        generations=frozenset({"0.22", "0.30", "0.38"}),
        tags=("admin",),
    ),
    Endpoint(
        "billing_usage",
        "GET",
        "/api/v1/billing/usage/events",
        "Usage events",
        "§5 row 43",
        None,
        admin.BillingUsageResponse,
        request_encoding="none",
        query=q.BillingUsageQuery,
        generations=frozenset({"0.30", "0.38"}),
        tags=("admin",),
    ),
    Endpoint(
        "checkpoint_storage_usage",
        "GET",
        "/api/v1/billing/usage/checkpoints/current",
        "Current checkpoint storage",
        "§5 row 44",
        None,
        admin.CurrentCheckpointStorageUsageResponse,
        request_encoding="none",
        query=q.CheckpointStorageQuery,
        generations=frozenset({"0.38"}),
        tags=("admin",),
    ),
    Endpoint(
        "get_api_key",
        "GET",
        "/api/v1/auth/apikey/me",
        "Describe the calling API key (CLI login)",
        "§5 row 45",
        None,
        admin.ApiKeyInfoResponse,
        request_encoding="none",
        generations=frozenset({"0.30", "0.38"}),
        tags=("auth",),
    ),
    Endpoint(
        "delete_api_key",
        "DELETE",
        "/api/v1/auth/apikey/me",
        "Revoke the calling API key (CLI logout)",
        "§5 row 46",
        request_encoding="none",
        generations=frozenset({"0.30", "0.38"}),
        tags=("auth",),
    ),
)

_BY_NAME: Mapping[str, Endpoint] = {e.name: e for e in CATALOGUE}
if len(_BY_NAME) != len(CATALOGUE):  # pragma: no cover - guarded by tests
    raise RuntimeError("endpoint names in CATALOGUE must be unique")


def endpoint_named(name: str) -> Endpoint:
    """The catalogue entry called ``name`` (KeyError names the unknown endpoint)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no endpoint named {name!r} in the catalogue") from None


def _fit(endpoint: Endpoint, match: re.Match[str]) -> tuple[bool, int]:
    """How well ``endpoint`` explains a path: well-formed checkpoint ids first, then the longer literal template."""
    well_formed = all(_CHECKPOINT_ID.match(match[name]) for name in endpoint.slash_params)
    return well_formed, endpoint.literal_segments


def endpoints_at(path: str) -> list[Endpoint]:
    """The endpoints serving ``path``, any method.

    A path spelled exactly like a parameter-free endpoint is that endpoint's resource alone:
    ``/api/v1/sessions/search`` is the search, not the session ``search`` of ``/sessions/{session_id}``.
    A checkpoint path can read two ways (``…/checkpoints/0/publish``: checkpoint ``0/publish``, or
    publishing checkpoint ``0``); the reading with a well-formed ``<kind>/<name>`` id wins, else the
    longer template, so ``…/checkpoints/weights/publish`` is the checkpoint named ``publish``.
    """
    fixed = [e for e in CATALOGUE if not e.params and e.path == path]
    if fixed:
        return fixed
    fits = [(e, _fit(e, m)) for e in CATALOGUE if (m := e.pattern.match(path))]
    best = max((fit for _, fit in fits), default=None)
    return [e for e, fit in fits if fit == best]


def match_endpoint(method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
    """The endpoint serving ``method path`` and its path parameters, or None (see :func:`endpoints_at`)."""
    for endpoint in endpoints_at(path):
        if endpoint.method == method:
            m = endpoint.pattern.match(path)
            if m:
                return endpoint, m.groupdict()
    return None
