"""Signed download URLs served by the mock itself (protocol reference §13, §16 item 11).

The SDK and CLI download exports and archives from URLs without sending credentials, like signed
cloud-storage URLs. The mock signs ``(path, expires)`` with HMAC-SHA256 from the standard library
and serves ``/_harness/files/<path>?expires=<unix>&signature=<hex>``; a tampered signature or a
past expiry (on the server clock) is refused with 403 and a JSON ``detail``.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from tinker_harness.mock_server.errors import ApiError

__all__ = ["FILES_PREFIX", "UrlSigner"]

FILES_PREFIX = "/_harness/files/"


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, path: str, expires: int) -> str:
        return hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, base_url: str, path: str, expires: float) -> str:
        """An absolute URL for ``path`` (relative to the files prefix) valid until ``expires``."""
        stamp = int(expires)
        return f"{base_url}{FILES_PREFIX}{quote(path)}?expires={stamp}&signature={self._signature(path, stamp)}"

    def verify(self, path: str, expires: str | None, signature: str | None, *, now: float) -> None:
        """Raise 403 unless the signature matches and has not expired."""
        if expires is None or signature is None or not expires.isdigit():
            raise ApiError(403, "unsigned-url", "download URLs need 'expires' and 'signature' query parameters")
        if not hmac.compare_digest(self._signature(path, int(expires)), signature):
            raise ApiError(403, "bad-signature", "the URL signature does not match (was the URL modified?)")
        if int(expires) <= now:
            raise ApiError(403, "expired-url", f"the signed URL expired at {int(expires)} (server time {int(now)})")
