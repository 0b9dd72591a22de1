"""Authentication (protocol reference §0 item 2, §12).

Every API call carries ``X-API-Key``. By default any well-formed key (``tml-`` prefix) is accepted
and becomes an owner (its fingerprint, :func:`mock_server.ids.key_fingerprint`); a configured key
list (``ServerConfig.api_keys``, or ``tinker-harness serve --api-keys-file FILE``) narrows that.
Only fingerprints of the configured keys are kept. A missing, malformed or unknown key is a 401
with a JSON ``detail``. In JWT mode (``client_config.pjwt_auth_enabled``) the SDK exchanges its key
at ``/api/v1/auth/token`` for a JWT that this module mints and checks (HS256 over the standard
library's HMAC) with ``sub``, ``org_id``, ``email``, ``iat`` and ``exp`` claims (``whoami`` reads
them, §10); an expired token gets 401 with ``WWW-Authenticate: Bearer error="invalid_token"`` so
the SDK replaces it and replays the request once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from tinker_harness.contracts.request_json import load_json
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.ids import key_fingerprint

__all__ = ["Authenticator", "decode_jwt_claims", "load_api_keys_file"]

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
        claims = load_json(_unb64(parts[1]))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def load_api_keys_file(path: Path) -> tuple[str, ...]:
    """The keys of a file with one API key per line (blank lines and ``#`` comments ignored).

    ``ValueError`` names the file and line of a key that does not start with ``tml-``.
    """
    keys: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        key = line.split("#", 1)[0].strip()
        if not key:
            continue
        if not key.startswith("tml-") or len(key) < 8 or any(c.isspace() for c in key):
            raise ValueError(f"{path}:{number}: API keys must start with 'tml-' (got {len(key)} characters)")
        keys.append(key)
    if not keys:
        raise ValueError(f"{path}: no API keys (one 'tml-...' key per line)")
    return tuple(dict.fromkeys(keys))


class Authenticator:
    def __init__(self, secret: bytes, api_keys: tuple[str, ...] | None) -> None:
        self._secret = secret
        self._allowed = frozenset(key_fingerprint(k) for k in api_keys) if api_keys is not None else None

    def owner_of_key(self, api_key: str | None) -> str:
        """The owner id of a plain API key; 401 when it is missing, malformed or unknown."""
        if not api_key:
            raise ApiError(401, "missing-api-key", "missing X-API-Key header")
        if not api_key.startswith("tml-"):
            raise ApiError(401, "malformed-api-key", "API keys must start with 'tml-'")
        owner = key_fingerprint(api_key)
        if self._allowed is not None and owner not in self._allowed:
            raise ApiError(401, "unknown-api-key", "the API key is not known to this server")
        return owner

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
            "email": f"{owner}@mock.invalid",
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
