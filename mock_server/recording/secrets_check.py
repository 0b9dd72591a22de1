"""``tinker-harness cassette check``: find anything credential-shaped left in a cassette.

The check reads the YAML as a node tree, so every finding names the line of the value it is in,
and looks at every scalar — keys and values, headers, URLs, bodies — plus the decoded bytes of
``!!binary`` bodies (protobuf, §7), where a string would otherwise hide in base64:

* ``tml-…`` API keys, ``eyJ…`` JWT shapes and bearer tokens (protocol reference §12);
* a secret header (``X-API-Key``, ``Authorization``, cookies, ``CF-Access-*``, §2.1) or a
  secret-named field (``api_key``, ``jwt``…) whose value is not a ``<redacted:…>`` tag.

Redaction tags themselves are never findings, so a scrubbed cassette checks clean.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tinker_harness.mock_server.redaction import REDACTION_TAG, SECRET_HEADERS, SECRET_KEYS

__all__ = ["Finding", "check_cassette", "check_text"]

_PATTERNS = (
    ("API key", re.compile(r"tml-[A-Za-z0-9_\-]{4,}")),
    ("JWT", re.compile(r"eyJ[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]{2,}\.?[A-Za-z0-9_\-]*")),
    ("bearer token", re.compile(r"(?i)\bbearer\s+(?!<redacted:)[A-Za-z0-9._~+/\-]{8,}=*")),
)
_BINARY = "tag:yaml.org,2002:binary"
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Finding:
    line: int
    kind: str
    excerpt: str  # the start of the match only, so the report does not repeat the secret

    def describe(self, source: str) -> str:
        return f"{source}:{self.line}: {self.kind}: {self.excerpt}"


def _mask(secret: str) -> str:
    return secret[:6] + "…" if len(secret) > 6 else secret


def _scan(text: str, line: int, where: str) -> list[Finding]:
    return [
        Finding(line, f"{kind} in {where}", _mask(m.group(0)))
        for kind, pattern in _PATTERNS
        for m in pattern.finditer(REDACTION_TAG.sub("", text))
    ]


def _scalar_text(node: yaml.ScalarNode) -> tuple[str, str]:
    """The text to scan and a description of where it came from."""
    if node.tag == _BINARY:
        try:
            raw = base64.b64decode("".join(node.value.split()), validate=True)
        except (binascii.Error, ValueError):
            return node.value, "an undecodable !!binary value"
        return raw.decode("latin-1"), "a binary body"
    return str(node.value), "a value"


def _walk(node: yaml.Node, parent_key: str | None, findings: list[Finding]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value).lower() if isinstance(key_node, yaml.ScalarNode) else None
            _walk(key_node, None, findings)
            _walk(value_node, key, findings)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk(item, parent_key, findings)
    elif isinstance(node, yaml.ScalarNode):
        line = node.start_mark.line + 1
        text, where = _scalar_text(node)
        findings.extend(_scan(text, line, where))
        secret_named = parent_key is not None and (parent_key in SECRET_HEADERS or parent_key in SECRET_KEYS)
        if secret_named and node.tag != _BINARY and text and not REDACTION_TAG.fullmatch(text) and text != "null":
            findings.append(Finding(line, f"unredacted value of {parent_key!r}", _mask(text)))
        if text[:1] in "{[":
            _walk_json(_json(text), line, findings)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None


def _walk_json(value: Any, line: int, findings: list[Finding]) -> None:
    """Secret-named fields inside a JSON body whose value is not a tag (patterns were scanned already)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in SECRET_KEYS and isinstance(item, str) and item and not REDACTION_TAG.fullmatch(item):
                findings.append(Finding(line, f"unredacted value of JSON field {key!r}", _mask(item)))
            _walk_json(item, line, findings)
    elif isinstance(value, list):
        for item in value:
            _walk_json(item, line, findings)


def check_text(text: str) -> list[Finding]:
    """Findings in a cassette's text, ordered by line; raises ``yaml.YAMLError`` for broken YAML."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    findings: list[Finding] = []
    if root is not None:
        _walk(root, None, findings)
    return sorted(set(findings), key=lambda f: (f.line, f.kind))


def check_cassette(path: Path) -> list[Finding]:
    """Findings in the cassette at ``path``; raises ``OSError``/``UnicodeDecodeError``/``yaml.YAMLError``."""
    return check_text(path.read_text(encoding="utf-8"))
