"""Server configuration: one validated object, loadable from flags or a JSON/YAML file.

Defaults describe a mock that behaves like the production service for the official SDK 0.38.0
(protocol reference §16): plain API-key auth, long-polled futures answering before the SDK's 45 s
read timeout, the SDK's default chunk limits, and tinker-cookbook's table of base models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tinker_harness.contracts.usage_errors import UsageError, one_line, read_user_text, validation_line
from tinker_harness.mock_server.completion_plan import CompletionPlan
from tinker_harness.mock_server.generations import DEFAULT_CLIENT_CONFIG_BY_VERSION
from tinker_harness.mock_server.served_models import SERVED_MODELS

__all__ = ["BaseModelSpec", "ConfigError", "ServerConfig", "load_config_file"]

# The cookbook's model table and the names the SDK knows (mock_server.served_models): name, context length,
# renderer family.
DEFAULT_BASE_MODELS = tuple((model.name, model.max_context_length, model.renderer) for model in SERVED_MODELS)


class ConfigError(UsageError, ValueError):
    """A configuration file or value is invalid; the message names the file and field."""


class BaseModelSpec(BaseModel):
    """A base model the server advertises and trains (§5 row 8, ``SupportedModel``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_name: str
    max_context_length: int = Field(default=32768, gt=0)
    trainable: bool = True
    sampleable: bool = True
    # The chat format a client uses with it (tinker-cookbook's renderer names); not sent on the wire.
    renderer: str | None = None


class ServerConfig(BaseModel):
    """Everything that shapes the mock's behaviour; all fields have working defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=4010, ge=0, le=65535)
    seed: int = 0
    base_models: tuple[BaseModelSpec, ...] = tuple(
        BaseModelSpec(model_name=name, max_context_length=ctx, renderer=renderer)
        for name, ctx, renderer in DEFAULT_BASE_MODELS
    )
    accept_any_base_model: bool = False
    # Fields merged over the defaults of ClientConfigResponse for every SDK (§4.1 step 2, §19).
    client_config: dict[str, Any] = Field(default_factory=lambda: {"pjwt_auth_enabled": False})
    # Overrides of client_config for SDK versions matching a glob (versions §10 item 4).
    client_config_by_version: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_CLIENT_CONFIG_BY_VERSION.items()}
    )
    # Body of /client/dynamic_config; None answers 404, which the SDK maps to its defaults (§4.1 step 4).
    dynamic_config: dict[str, Any] | None = Field(default_factory=dict)
    # Long-poll: hold retrieve_future this many clock seconds before answering try_again (§6.3).
    long_poll_timeout: float = Field(default=20.0, gt=0)
    # Real-time ceiling of one long-poll, below the SDK's 45 s read timeout even on a frozen clock.
    long_poll_real_cap: float = Field(default=30.0, gt=0, lt=45)
    # A training op waiting for a missing earlier seq_id runs anyway after this many clock seconds.
    seq_gap_timeout: float = Field(default=10.0, gt=0)
    # Clock-cycle mode: training ops run only at multiples of this many clock seconds (None = at once).
    cycle_seconds: float | None = Field(default=None, gt=0)
    # A settled future can be polled for this many clock seconds; later polls answer 410 (§6.3).
    future_ttl_seconds: float = Field(default=3600.0, gt=0)
    # Results larger than this are first answered with complete_metadata when allowed (§6.2 item 3).
    metadata_only_threshold_bytes: int = Field(default=4_000_000, ge=0)
    default_max_tokens: int = Field(default=16, ge=0)
    # Request bodies above this many bytes (as sent, and once decompressed) are refused with 413 unread.
    max_request_bytes: int = Field(default=128 * 1024 * 1024, ge=1024)
    # Advertised as model_data.tokenizer_id for every model; None = the model's own (see ``tokenizers``).
    tokenizer_id: str | None = None
    # "builtin": every model uses the server's 512-token tokenizer, get_info advertises its directory.
    # "hub": each served model uses its family's stand-in tokenizer and get_info advertises its Hub id;
    # clients load it from the offline assets (``tinker-harness offline-assets``, mock_server.standin_tokenizer).
    tokenizers: Literal["builtin", "hub"] = "builtin"
    # A test double mixing scripted completions into sampling so RL rewards can rise (mock_server.completion_plan).
    completion_plan: CompletionPlan | None = None
    journal_size: int = Field(default=10_000, ge=1)
    journal_path: Path | None = None
    validate_traffic: bool = True
    # Token the control API (/_harness/control/) requires as ``Authorization: Bearer <token>``;
    # None leaves it open (loopback only: ``serve`` sets one whenever it binds beyond loopback).
    control_token: str | None = Field(default=None, min_length=16, repr=False)
    # Accepted API keys; None accepts any well-formed key (``tml-`` prefix, §12).
    api_keys: tuple[str, ...] | None = None
    # A session whose last heartbeat is this many clock seconds old expires (410, futures fail; §4.3).
    session_expiry_seconds: float = Field(default=120.0, gt=0)
    # Trace exports answer "pending" to this many polls before "ready" (§5 row 40; the SDK polls every 5 s).
    trace_export_pending_polls: int = Field(default=1, ge=0)
    # Legacy archive (versions §7): "redirect" = 302 + Location (all SDKs), "json" = 200 {url, expires} (0.30.4).
    archive_answer: Literal["redirect", "json"] = "redirect"
    # Archive "being prepared": 503 + Retry-After for this many polls and/or clock seconds per checkpoint.
    archive_not_ready_polls: int = Field(default=0, ge=0)
    archive_not_ready_seconds: float = Field(default=0.0, ge=0)
    archive_retry_after_seconds: float = Field(default=1.0, gt=0, le=60)
    # GET /api/v1/audit answers 302 to a signed JSON file instead of the JSON itself (§5 row 42).
    audit_redirect: bool = False
    # Lifetime of signed download URLs, in clock seconds.
    signed_url_ttl_seconds: float = Field(default=3600.0, gt=0)

    def supported_model(self, name: str) -> BaseModelSpec | None:
        """The spec for ``name`` (ignoring any ``:suffix``), or a generic one if any model is accepted."""
        for spec in self.base_models:
            if spec.model_name == name:
                return spec
        if self.accept_any_base_model:
            return BaseModelSpec(model_name=name)
        return None


def load_config_file(path: Path, **overrides: Any) -> ServerConfig:
    """Read a JSON or YAML server config; errors name the file and the offending fields."""
    text = read_user_text(path, ConfigError, " config file")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML/JSON: {one_line(str(exc))}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a mapping of field names to values")
    try:
        return ServerConfig.model_validate({**raw, **overrides})
    except ValidationError as exc:
        raise ConfigError(validation_line(exc, f"{path}: invalid config")) from None
