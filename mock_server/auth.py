"""Authentication (protocol reference §0 item 2, §12).

Every API call carries ``X-API-Key``. By default any well-formed key (``tml-`` prefix) is accepted
and becomes an owner; a configured key list narrows that. In JWT mode
(``client_config.pjwt_auth_enabled``) the SDK exchanges its key at ``/api/v1/auth/token`` for a
JWT that this module mints and checks (HS256 over the standard library's HMAC); an expired token
gets 401 with ``WWW-Authenticate: Bearer error="invalid_token"`` so the SDK refreshes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from mock_server.errors import ApiError
from mock_server.ids import key_fingerprint

__all__ = ["Authenticator", "decode_jwt_claims"]

INVALID_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="the token has expired"'}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a three-part JWT without checking its signature, or None if malformed."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


class Authenticator:
    def __init__(self, secret: bytes, api_keys: tuple[str, ...] | None) -> None:
        self._secret = secret
        self._api_keys = frozenset(api_keys) if api_keys is not None else None

    def owner_of_key(self, api_key: str | None) -> str:
        """The owner id of a plain API key; 401 when it is missing, malformed or unknown."""
        if not api_key:
            raise ApiError(401, "missing-api-key", "missing X-API-Key header")
        if not api_key.startswith("tml-"):
            raise ApiError(401, "malformed-api-key", "API keys must start with 'tml-'")
        if self._api_keys is not None and api_key not in self._api_keys:
            raise ApiError(401, "unknown-api-key", "the API key is not known to this server")
        return key_fingerprint(api_key)

    def owner(self, credential: str | None, *, now: float, jwt_mode: bool) -> str:
        """The owner behind ``X-API-Key``: a plain key, or in JWT mode a token minted here."""
        if credential and credential.startswith("eyJ"):
            if not jwt_mode:
                raise ApiError(401, "jwt-not-enabled", "JWT credentials need client_config.pjwt_auth_enabled")
            return self.verify(credential, now=now)
        return self.owner_of_key(credential)

    def mint(self, owner: str, *, now: float, ttl: float) -> str:
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "sub": f"tml:user:{owner}",
            "org_id": f"org-{owner[4:12]}",
            "owner": owner,
            "iat": int(now),
            "exp": int(now + ttl),
            "iss": "tinker-harness",
        }
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def verify(self, token: str, *, now: float) -> str:
        """The owner of a token minted here; 401 for bad signatures and expired tokens."""
        signing_input, _, signature = token.rpartition(".")
        expected = _b64(hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest())
        claims = decode_jwt_claims(token)
        if claims is None or not hmac.compare_digest(expected, signature):
            raise ApiError(401, "invalid-jwt", "the JWT was not issued by this server")
        if float(claims.get("exp", 0)) <= now:
            raise ApiError(401, "expired-jwt", "the JWT has expired", headers=INVALID_TOKEN)
        return str(claims["owner"])
