"""Compressed payloads carried as bodies (not as ``Content-Encoding``): a ``.tar.gz`` archive, a
``.zst`` file. Recognised by their magic bytes, so the scrubber can look inside them."""

from __future__ import annotations

import gzip
import zlib
from typing import Literal

import zstandard

__all__ = ["Codec", "pack", "unpack"]

Codec = Literal["gzip", "zstd"]
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_MAX_UNPACKED = 512 * 1024 * 1024  # never inflate a hostile payload past this


def unpack(body: bytes) -> tuple[bytes, Codec] | None:
    """The payload inside a gzip or zstd body and its codec, or None (not compressed, or corrupt)."""
    try:
        if body.startswith(_GZIP_MAGIC):
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            inner = inflater.decompress(body, _MAX_UNPACKED)
            return (inner, "gzip") if inflater.eof else None
        if body.startswith(_ZSTD_MAGIC):
            return zstandard.ZstdDecompressor().decompress(body, max_output_size=_MAX_UNPACKED), "zstd"
    except (zlib.error, zstandard.ZstdError, OSError):
        return None
    return None


def pack(payload: bytes, codec: Codec) -> bytes:
    """``payload`` compressed again with ``codec`` (gzip without a timestamp, so output is stable)."""
    if codec == "gzip":
        return gzip.compress(payload, mtime=0)
    return zstandard.ZstdCompressor().compress(payload)
