"""The REST side: training runs, checkpoints, sessions, samplers (protocol reference §5 rows 8, 25-41, §10).

Every method is one request with both retry layers, answering the contract model named in the
catalogue. Checkpoint methods take ``tinker://<run>/<kind>/<name>`` paths, parsed with the SDK's
rules (:func:`contracts.parse_tinker_path`); the checkpoint id keeps its ``/`` in the URL.
Listing is offset/limit paged, echoed in a ``Cursor``; :meth:`AsyncRestClient.iter_user_checkpoints`
walks every page. Session search pages with a keyset ``next_cursor`` instead.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Literal, TypeVar

from tinker_harness.contracts import (
    AssignSessionProjectRequest,
    Checkpoint,
    CheckpointsListResponse,
    CopyWeightsRequest,
    CopyWeightsResponse,
    ExternalWeightsUrlsResponse,
    GetSamplerResponse,
    GetServerCapabilitiesResponse,
    GetSessionResponse,
    ListSessionsResponse,
    RequestModel,
    ResponseModel,
    SessionSearchRequest,
    SessionSearchResponse,
    SetCheckpointTtlRequest,
    TraceExportResponse,
    TrainingRun,
    TrainingRunsResponse,
    WeightsInfoRequest,
    WeightsInfoResponse,
    parse_tinker_path,
)

from ._config import api_method
from ._transport import Transport

__all__ = ["AccessScope", "AsyncRestClient", "next_page_offset"]

AccessScope = Literal["owned", "accessible"]
R = TypeVar("R", bound=ResponseModel)
TRACE_EXPORT_POLL_SECONDS = 5.0


def _checkpoint_params(tinker_path: str) -> dict[str, str]:
    parsed = parse_tinker_path(tinker_path)
    return {"training_run_id": parsed.training_run_id, "checkpoint_id": parsed.checkpoint_id}


def next_page_offset(page: CheckpointsListResponse, offset: int, page_size: int) -> int | None:
    """Offset of the page after ``page`` (fetched at ``offset``), or None when it was the last one."""
    offset += len(page.checkpoints)
    total = page.cursor.total_count if page.cursor is not None else None
    if len(page.checkpoints) < page_size or (total is not None and offset >= total):
        return None
    return offset


class AsyncRestClient:
    """REST calls over a :class:`Transport`; needs no session (the SDK's ``RestClient`` has none)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def _fetch(
        self,
        endpoint: str,
        model: type[R],
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        body: RequestModel | None = None,
    ) -> R:
        """One call whose JSON answer must validate as ``model``."""
        answer = await self._transport.call(endpoint, path_params=path_params, params=params, body=body)
        return self._transport.parse(answer, model)

    @api_method("RestClient.get_server_capabilities")
    async def get_server_capabilities(self) -> GetServerCapabilitiesResponse:
        return await self._fetch("get_server_capabilities", GetServerCapabilitiesResponse)

    @api_method("RestClient.get_training_run")
    async def get_training_run(self, training_run_id: str, access_scope: AccessScope = "owned") -> TrainingRun:
        run = {"training_run_id": training_run_id}
        return await self._fetch(
            "get_training_run", TrainingRun, path_params=run, params={"access_scope": access_scope}
        )

    @api_method("RestClient.get_training_run_by_tinker_path")
    async def get_training_run_by_tinker_path(
        self, tinker_path: str, access_scope: AccessScope = "owned"
    ) -> TrainingRun:
        return await self.get_training_run(parse_tinker_path(tinker_path).training_run_id, access_scope)

    @api_method("RestClient.list_training_runs")
    async def list_training_runs(
        self, limit: int = 20, offset: int = 0, access_scope: AccessScope = "owned", project_id: str | None = None
    ) -> TrainingRunsResponse:
        params: dict[str, str | int] = {"limit": limit, "offset": offset, "access_scope": access_scope}
        if project_id is not None:
            params["project_id"] = project_id
        return await self._fetch("list_training_runs", TrainingRunsResponse, params=params)

    @api_method("RestClient.list_checkpoints")
    async def list_checkpoints(self, training_run_id: str) -> CheckpointsListResponse:
        run = {"training_run_id": training_run_id}
        return await self._fetch("list_checkpoints", CheckpointsListResponse, path_params=run)

    @api_method("RestClient.list_user_checkpoints")
    async def list_user_checkpoints(self, limit: int = 100, offset: int = 0) -> CheckpointsListResponse:
        params = {"limit": limit, "offset": offset}
        return await self._fetch("list_user_checkpoints", CheckpointsListResponse, params=params)

    async def iter_user_checkpoints(self, page_size: int = 100) -> AsyncIterator[Checkpoint]:
        """Every checkpoint of the caller, page by page, until a short page or ``cursor.total_count``."""
        offset: int | None = 0
        while offset is not None:
            page = await self.list_user_checkpoints(limit=page_size, offset=offset)
            for checkpoint in page.checkpoints:
                yield checkpoint
            offset = next_page_offset(page, offset, page_size)

    @api_method("RestClient.delete_checkpoint_from_tinker_path")
    async def delete_checkpoint_from_tinker_path(self, tinker_path: str) -> None:
        await self._transport.call("delete_checkpoint", path_params=_checkpoint_params(tinker_path))

    @api_method("RestClient.publish_checkpoint_from_tinker_path")
    async def publish_checkpoint_from_tinker_path(self, tinker_path: str) -> None:
        await self._transport.call("publish_checkpoint", path_params=_checkpoint_params(tinker_path))

    @api_method("RestClient.unpublish_checkpoint_from_tinker_path")
    async def unpublish_checkpoint_from_tinker_path(self, tinker_path: str) -> None:
        await self._transport.call("unpublish_checkpoint", path_params=_checkpoint_params(tinker_path))

    @api_method("RestClient.set_checkpoint_ttl_from_tinker_path")
    async def set_checkpoint_ttl_from_tinker_path(self, tinker_path: str, ttl_seconds: int | None) -> None:
        """Set the checkpoint's TTL; ``None`` removes it."""
        body = SetCheckpointTtlRequest(ttl_seconds=ttl_seconds)
        await self._transport.call("set_checkpoint_ttl", path_params=_checkpoint_params(tinker_path), body=body)

    @api_method("RestClient.get_weights_info_by_tinker_path")
    async def get_weights_info_by_tinker_path(self, tinker_path: str) -> WeightsInfoResponse:
        return await self._fetch("weights_info", WeightsInfoResponse, body=WeightsInfoRequest(tinker_path=tinker_path))

    @api_method("RestClient.get_external_weights_urls")
    async def get_external_weights_urls(self, tinker_path: str) -> ExternalWeightsUrlsResponse:
        """Signed download URLs of an ``external_weights`` checkpoint."""
        params = _checkpoint_params(tinker_path)
        if not params["checkpoint_id"].startswith("external_weights/"):
            raise ValueError(f"only external_weights checkpoints have download URLs, got {tinker_path!r}")
        return await self._fetch("external_weights_urls", ExternalWeightsUrlsResponse, path_params=params)

    @api_method("RestClient.copy_weights")
    async def copy_weights(
        self,
        tinker_path: str,
        destination_project_id: str | None = None,
        *,
        ttl_seconds: int | None = None,
        weights_access_token: str | None = None,
    ) -> str:
        """Copy a checkpoint into a project (default ``TINKER_PROJECT_ID``); returns the new path."""
        project = destination_project_id or self._transport.settings.project_id
        if project is None:
            raise ValueError("copy_weights needs destination_project_id (or TINKER_PROJECT_ID)")
        body = CopyWeightsRequest(source_path=tinker_path, destination_project_id=project, ttl_seconds=ttl_seconds)
        headers = {"X-Tinker-Weights-Access-Token": weights_access_token} if weights_access_token else {}
        # One idempotency key for every attempt of both retry layers: a retried copy must not copy twice.
        answer = await self._transport.call(
            "copy_weights", body=body, headers=headers, idempotency_key=str(uuid.uuid4())
        )
        return self._transport.parse(answer, CopyWeightsResponse).tinker_path

    @api_method("RestClient.list_sessions")
    async def list_sessions(
        self, limit: int = 20, offset: int = 0, access_scope: AccessScope = "owned"
    ) -> ListSessionsResponse:
        params = {"limit": limit, "offset": offset, "access_scope": access_scope}
        return await self._fetch("list_sessions", ListSessionsResponse, params=params)

    @api_method("RestClient.get_session")
    async def get_session(self, session_id: str, access_scope: AccessScope = "owned") -> GetSessionResponse:
        session = {"session_id": session_id}
        return await self._fetch(
            "get_session", GetSessionResponse, path_params=session, params={"access_scope": access_scope}
        )

    @api_method("RestClient.search_sessions")
    async def search_sessions(self, request: SessionSearchRequest) -> SessionSearchResponse:
        return await self._fetch("search_sessions", SessionSearchResponse, body=request)

    @api_method("RestClient.assign_session_project")
    async def assign_session_project(self, session_id: str, project_id: str) -> None:
        body = AssignSessionProjectRequest(project_id=project_id)
        await self._transport.call("assign_session_project", path_params={"session_id": session_id}, body=body)

    @api_method("RestClient.export_session_trace")
    async def export_session_trace(self, session_id: str) -> str:
        """Poll the trace export every 5 s until it is ready; returns the signed URL."""
        while True:
            status = await self._fetch(
                "export_session_trace", TraceExportResponse, path_params={"session_id": session_id}
            )
            if status.status == "ready" and status.url is not None:
                return status.url
            if status.status == "failed":
                raise RuntimeError(f"trace export of session {session_id} failed: {status.error}")
            await self._transport.clock.sleep(TRACE_EXPORT_POLL_SECONDS)

    @api_method("RestClient.get_sampler")
    async def get_sampler(self, sampler_id: str) -> GetSamplerResponse:
        return await self._fetch("get_sampler", GetSamplerResponse, path_params={"sampler_id": sampler_id})
