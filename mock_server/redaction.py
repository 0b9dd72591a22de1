"""Secrets never reach storage: one scrubber for journals, sinks and recordings.

API keys (``tml-…``), JWTs (``eyJ…``), bearer tokens, CF-Access credentials, cookies and weights
access tokens are replaced by ``<redacted:XXXXXXXX>``, where the tag is a short hash of the secret:
the same secret always gets the same tag, so ownership can still be followed through a journal
without the secret itself being kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTION_TAG", "SECRET_HEADERS", "SECRET_KEYS", "redact", "redact_headers", "redact_text", "redaction_tag"]

SECRET_HEADERS = frozenset(
    {
        "x-api-key",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "cf-access-client-id",
        "cf-access-client-secret",
        "x-tinker-weights-access-token",
    }
)
SECRET_KEYS = frozenset({"jwt", "api_key", "apikey", "key", "weights_access_token", "token", "secret", "password"})

_SECRET_PATTERNS = re.compile(
    r"tml-[A-Za-z0-9_\-]{4,}"  # Tinker API keys
    r"|eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"  # JWTs
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/\-]{16,}=*"  # bearer tokens (not `Bearer error="invalid_token"`)
)


def _tag(secret: str) -> str:
    return f"<redacted:{hashlib.sha256(secret.encode()).hexdigest()[:8]}>"


# What ``_tag`` produces: recorders use it to leave already-redacted values alone (scrubbing is idempotent).
REDACTION_TAG = re.compile(r"<redacted:[0-9a-f]{8}>")


def redaction_tag(secret: str) -> str:
    """The replacement for ``secret``: the same secret always gets the same tag."""
    return _tag(secret)


def credential_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds something credential-shaped (start, end), for masking in place."""
    return [match.span() for match in _SECRET_PATTERNS.finditer(text)]


def redact_text(text: str) -> str:
    """Replace every credential-shaped substring of ``text``."""
    return _SECRET_PATTERNS.sub(lambda m: _tag(m.group(0)), text)


def redact_headers(headers: Mapping[str, str] | list[tuple[str, str]]) -> dict[str, str]:
    """Lower-cased header names; secret headers replaced whole, others scrubbed of key shapes."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        lname = name.lower()
        clean = _tag(value) if lname in SECRET_HEADERS else redact_text(value)
        out[lname] = f"{out[lname]}, {clean}" if lname in out else clean
    return out


def redact(value: Any) -> Any:
    """Deep copy of a JSON value with secret-named fields and credential-shaped strings replaced."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: (_tag(v) if isinstance(v, str) and str(k).lower() in SECRET_KEYS else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value
