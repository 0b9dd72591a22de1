"""Blocking twin of the REST client (protocol reference §10): each method runs its async twin on the portal."""

from __future__ import annotations

from collections.abc import Iterator

from tinker_harness.contracts import (
    Checkpoint,
    CheckpointsListResponse,
    ExternalWeightsUrlsResponse,
    GetSamplerResponse,
    GetServerCapabilitiesResponse,
    GetSessionResponse,
    ListSessionsResponse,
    SessionSearchRequest,
    SessionSearchResponse,
    TrainingRun,
    TrainingRunsResponse,
    WeightsInfoResponse,
)

from ._portal import Portal
from ._rest import AccessScope, AsyncRestClient, next_page_offset

__all__ = ["RestClient"]


class RestClient:
    """Blocking twin of :class:`AsyncRestClient`; every method waits for its answer."""

    def __init__(self, portal: Portal, client: AsyncRestClient) -> None:
        self._portal = portal
        self.async_client = client

    def get_server_capabilities(self) -> GetServerCapabilitiesResponse:
        return self._portal.run(self.async_client.get_server_capabilities)

    def get_training_run(self, training_run_id: str, access_scope: AccessScope = "owned") -> TrainingRun:
        return self._portal.run(lambda: self.async_client.get_training_run(training_run_id, access_scope))

    def get_training_run_by_tinker_path(self, tinker_path: str, access_scope: AccessScope = "owned") -> TrainingRun:
        return self._portal.run(lambda: self.async_client.get_training_run_by_tinker_path(tinker_path, access_scope))

    def list_training_runs(
        self, limit: int = 20, offset: int = 0, access_scope: AccessScope = "owned", project_id: str | None = None
    ) -> TrainingRunsResponse:
        return self._portal.run(lambda: self.async_client.list_training_runs(limit, offset, access_scope, project_id))

    def list_checkpoints(self, training_run_id: str) -> CheckpointsListResponse:
        return self._portal.run(lambda: self.async_client.list_checkpoints(training_run_id))

    def list_user_checkpoints(self, limit: int = 100, offset: int = 0) -> CheckpointsListResponse:
        return self._portal.run(lambda: self.async_client.list_user_checkpoints(limit, offset))

    def iter_user_checkpoints(self, page_size: int = 100) -> Iterator[Checkpoint]:
        """Every checkpoint of the caller; one request per page, made as the iteration reaches it."""
        offset: int | None = 0
        while offset is not None:
            page = self.list_user_checkpoints(limit=page_size, offset=offset)
            yield from page.checkpoints
            offset = next_page_offset(page, offset, page_size)

    def delete_checkpoint_from_tinker_path(self, tinker_path: str) -> None:
        self._portal.run(lambda: self.async_client.delete_checkpoint_from_tinker_path(tinker_path))

    def publish_checkpoint_from_tinker_path(self, tinker_path: str) -> None:
        self._portal.run(lambda: self.async_client.publish_checkpoint_from_tinker_path(tinker_path))

    def unpublish_checkpoint_from_tinker_path(self, tinker_path: str) -> None:
        self._portal.run(lambda: self.async_client.unpublish_checkpoint_from_tinker_path(tinker_path))

    def set_checkpoint_ttl_from_tinker_path(self, tinker_path: str, ttl_seconds: int | None) -> None:
        self._portal.run(lambda: self.async_client.set_checkpoint_ttl_from_tinker_path(tinker_path, ttl_seconds))

    def get_weights_info_by_tinker_path(self, tinker_path: str) -> WeightsInfoResponse:
        return self._portal.run(lambda: self.async_client.get_weights_info_by_tinker_path(tinker_path))

    def get_external_weights_urls(self, tinker_path: str) -> ExternalWeightsUrlsResponse:
        return self._portal.run(lambda: self.async_client.get_external_weights_urls(tinker_path))

    def copy_weights(
        self,
        tinker_path: str,
        destination_project_id: str | None = None,
        *,
        ttl_seconds: int | None = None,
        weights_access_token: str | None = None,
    ) -> str:
        return self._portal.run(
            lambda: self.async_client.copy_weights(
                tinker_path, destination_project_id, ttl_seconds=ttl_seconds, weights_access_token=weights_access_token
            )
        )

    def list_sessions(
        self, limit: int = 20, offset: int = 0, access_scope: AccessScope = "owned"
    ) -> ListSessionsResponse:
        return self._portal.run(lambda: self.async_client.list_sessions(limit, offset, access_scope))

    def get_session(self, session_id: str, access_scope: AccessScope = "owned") -> GetSessionResponse:
        return self._portal.run(lambda: self.async_client.get_session(session_id, access_scope))

    def search_sessions(self, request: SessionSearchRequest) -> SessionSearchResponse:
        return self._portal.run(lambda: self.async_client.search_sessions(request))

    def assign_session_project(self, session_id: str, project_id: str) -> None:
        self._portal.run(lambda: self.async_client.assign_session_project(session_id, project_id))

    def export_session_trace(self, session_id: str) -> str:
        return self._portal.run(lambda: self.async_client.export_session_trace(session_id))

    def get_sampler(self, sampler_id: str) -> GetSamplerResponse:
        return self._portal.run(lambda: self.async_client.get_sampler(sampler_id))
