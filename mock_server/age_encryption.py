"""age encryption of exported weights (``save_weights_external(age_encryption_recipients=…)``, §5 row 15).

An export saved with recipients stores every file age-encrypted to all of them (``pyrage``, the
library tinker-cookbook decrypts with) under ``<name>.age``; only holders of a matching identity can
read it. Recipients are X25519 (``age1…``) or SSH public keys; anything else is refused with 400
naming the recipient before the save is queued.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyrage

from tinker_harness.mock_server.errors import ApiError

__all__ = ["AGE_SUFFIX", "encrypt_files", "parse_recipients"]

AGE_SUFFIX = ".age"
# The extension module ships no type information.
_pyrage: Any = pyrage


def parse_recipients(recipients: Sequence[str]) -> list[Any]:
    """pyrage recipients of ``recipients``; 400 ``invalid-age-recipient`` naming the first bad one."""
    if not recipients:
        raise ApiError.bad_request("invalid-age-recipient", "age_encryption_recipients must not be empty")
    parsed = []
    for index, text in enumerate(recipients):
        kind = _pyrage.ssh.Recipient if text.startswith(("ssh-", "ecdsa-")) else _pyrage.x25519.Recipient
        try:
            parsed.append(kind.from_str(text.strip()))
        except _pyrage.RecipientError as exc:
            shown = text if len(text) <= 80 else text[:77] + "..."
            raise ApiError.bad_request(
                "invalid-age-recipient",
                f"age_encryption_recipients[{index}] {shown!r} is not an age X25519 or SSH public key: {exc}",
            ) from None
    return parsed


def encrypt_files(files: Mapping[str, bytes], recipients: Sequence[Any]) -> dict[str, bytes]:
    """Every file encrypted to all ``recipients`` (from :func:`parse_recipients`), named ``<name>.age``."""
    return {name + AGE_SUFFIX: bytes(_pyrage.encrypt(content, list(recipients))) for name, content in files.items()}
