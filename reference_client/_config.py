"""Where the server is, which key to send, and the headers every request carries.

Implements protocol reference §0 items 1-2, §2.1 (request headers), §12 (credential checks) and
§14 (environment variables). Arguments win over the environment, as in the SDK: ``base_url`` or
``TINKER_BASE_URL`` (empty means unset, trailing ``/`` dropped) or the production URL; ``api_key``
or ``TINKER_API_KEY``, which must start with ``tml-`` (or be a JWT, ``eyJ…``). The SDK's
``~/.tinker/credentials.json`` and ``TINKER_CREDENTIAL_CMD`` fallbacks are not implemented.

The client names itself in ``User-Agent`` and in ``x-sdk-version``. The latter (and the
``sdk_version`` of request bodies) is ``0.38.0+tinker-harness-reference-client.<version>``: a
server that gates behaviour on the version it reads sees the 0.38.0 protocol this client speaks
(semver ignores the ``+build`` part), and a journal still tells the two clients apart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from inspect import iscoroutinefunction
from typing import Any, TypeVar, cast

from ._errors import ConfigurationError

__all__ = [
    "CLIENT_NAME",
    "CLIENT_VERSION",
    "DEFAULT_BASE_URL",
    "PROTOCOL_VERSION",
    "SDK_VERSION",
    "ClientSettings",
    "api_method",
    "current_api_method",
]

DEFAULT_BASE_URL = "https://tinker.thinkingmachines.dev/services/tinker-prod"
PROTOCOL_VERSION = "0.38.0"
CLIENT_NAME = "tinker-harness-reference-client"
CLIENT_VERSION = "0.1.0"
SDK_VERSION = f"{PROTOCOL_VERSION}+{CLIENT_NAME}.{CLIENT_VERSION}"

_KEY_PREFIXES = ("tml-", "eyJ")


@dataclass(frozen=True)
class ClientSettings:
    """Everything fixed for the life of a client. Build it with :meth:`resolve`."""

    base_url: str
    api_key: str
    project_id: str | None = None
    tags: tuple[str, ...] = ()
    timeout: float = 60.0
    connect_timeout: float = 5.0
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        project_id: str | None = None,
        timeout: float = 60.0,
        extra_headers: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ClientSettings:
        """Arguments first, then ``TINKER_BASE_URL`` / ``TINKER_API_KEY`` / ``TINKER_PROJECT_ID`` / ``TINKER_TAGS``."""
        env = os.environ if environ is None else environ
        url = (base_url or env.get("TINKER_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"base URL {url!r} must start with http:// or https://")
        key = api_key or env.get("TINKER_API_KEY")
        if not key:
            raise ConfigurationError("no API key: pass api_key= or set TINKER_API_KEY")
        if not key.startswith(_KEY_PREFIXES):
            raise ConfigurationError("the API key must start with 'tml-' (or be a JWT starting with 'eyJ')")
        tags = tuple(sorted({t for t in env.get("TINKER_TAGS", "").split(",") if t}))
        return cls(
            base_url=url,
            api_key=key,
            project_id=project_id or env.get("TINKER_PROJECT_ID") or None,
            tags=tags,
            timeout=timeout,
            extra_headers=dict(extra_headers or {}),
        )

    def default_headers(self) -> dict[str, str]:
        """Headers of every request (§2.1); per-request ones (content type, retry count…) are added later."""
        return {
            "Accept": "application/json",
            "User-Agent": f"{CLIENT_NAME}/{CLIENT_VERSION}",
            "x-sdk-version": SDK_VERSION,
            **self.extra_headers,
        }


# --- x-sdk-method: which public method a request belongs to (§2.1) ---------------------------
# Names use the SDK's classes (``ServiceClient.close``, ``TrainingClient.forward_backward``…) so that
# journals of the SDK and of this client line up method by method.

_API_METHOD: ContextVar[str | None] = ContextVar("reference_client_api_method", default=None)
F = TypeVar("F", bound=Callable[..., Any])


def current_api_method() -> str | None:
    """The public method being served, sent as ``x-sdk-method``; None for background traffic."""
    return _API_METHOD.get()


@contextmanager
def _serving(name: str) -> Iterator[None]:
    # The outermost public method wins: ``create_sampling_client`` calling ``get_sampler`` stays itself.
    token = _API_METHOD.set(_API_METHOD.get() or name)
    try:
        yield
    finally:
        _API_METHOD.reset(token)


def api_method(name: str) -> Callable[[F], F]:
    """Mark a public method: requests made inside it (and tasks it starts) send ``x-sdk-method: name``."""

    def decorate(fn: F) -> F:
        if iscoroutinefunction(fn):

            @wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with _serving(name):
                    return await fn(*args, **kwargs)

            return cast(F, run_async)

        @wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with _serving(name):
                return fn(*args, **kwargs)

        return cast(F, run)

    return decorate
