"""The wire profile of one SDK version: what a server or a port must match, from its manifest.

A :class:`WireProfile` keeps, from a :class:`~.model.SurfaceManifest`, only what crosses the wire
or configures it: endpoints (method, path, the public methods that reach them), the body encoding
and accepted result encodings per endpoint, the headers set, the fields of every pydantic type
(with the optional result fields the SDK's code asserts present, and whether a type writes its
own wire keys with a ``model_serializer``), the client-config keys (``ClientConfigResponse``),
the behavioural constants, the environment variables, the CLI commands and the public client
methods, each with its ``file:line`` in that wheel. Profiles of the versions in
:data:`BREAK_POINTS` are stored in ``profiles/`` (generated with ``tinker-harness sdk-generations
--write --profiles``, checked by the tests against the wheels); any other version is read from its
wheel on demand (:mod:`.wheels`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from .driver import ManifestError
from .model import Location, SurfaceManifest

__all__ = [
    "BREAK_POINTS",
    "PROFILE_DIR",
    "EncodingInfo",
    "EndpointInfo",
    "FieldInfo",
    "TypeInfo",
    "WireProfile",
    "load_profile",
    "path_key",
    "profile_of",
    "profile_path",
    "render_profile",
]

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"

# Versions at which the wire changed (the last release of each line before a change, and the
# release that changed it); the matrix, the conformance run and docs/sdk-generations.md use these.
BREAK_POINTS: tuple[str, ...] = (
    "0.15.0",
    "0.21.0",
    "0.22.0",
    "0.24.1",
    "0.25.0",
    "0.26.0",
    "0.26.2",
    "0.27.2",
    "0.30.4",
    "0.33.1",
    "0.36.0",
    "0.38.0",
)

_PARAM = re.compile(r"\{[^}]*\}")


def path_key(method: str, path: str) -> str:
    """``POST /api/v1/x/{}``: an endpoint's identity, whatever its parameters are called."""
    return f"{method} {_PARAM.sub('{}', path)}"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _at(location: Location) -> str:
    return f"{location.file}:{location.line}"


class EndpointInfo(_Frozen):
    method: str
    path: str
    callers: list[str] = []
    at: str


class EncodingInfo(_Frozen):
    method: str
    path: str
    request: str  # json | protobuf | json|protobuf | none
    condition: str | None = None
    content_encoding: str | None = None
    accept: list[str] = []
    at: str


class FieldInfo(_Frozen):
    annotation: str
    required: bool
    default: str | None = None
    at: str


class TypeInfo(_Frozen):
    kind: str
    fields: dict[str, FieldInfo] = {}
    custom_serializer: bool = False  # a model_serializer writes the wire keys (field names may not be them)
    asserted: dict[str, str] = {}  # optional field -> where the SDK asserts it present
    at: str


class WireProfile(_Frozen):
    version: str
    endpoints: list[EndpointInfo]
    encodings: list[EncodingInfo]
    headers: dict[str, str]  # name as written -> first location
    types: dict[str, TypeInfo]
    client_config: dict[str, FieldInfo]
    constants: dict[str, tuple[float, str, str]]  # key -> (value, unit, at)
    env_vars: dict[str, str]
    cli: dict[str, str]  # "checkpoint list" -> at
    methods: dict[str, str]  # "ServiceClient.create_rest_client" -> at

    def endpoint_keys(self) -> dict[str, EndpointInfo]:
        return {path_key(e.method, e.path): e for e in self.endpoints}

    def encoding_of(self, method: str, path: str) -> EncodingInfo | None:
        key = path_key(method, path)
        return next((e for e in self.encodings if path_key(e.method, e.path) == key), None)

    def has_endpoint(self, method: str, path: str) -> bool:
        return path_key(method, path) in self.endpoint_keys()


_DOTTED = re.compile(r"^[A-Za-z_][\w.]*$")


def _switch(condition: str | None) -> str | None:
    """``self.holder._client_config.proto_write_fwdbwd`` -> ``proto_write_fwdbwd`` (how the SDK
    reaches its client config changes between releases; the switch it tests is what matters)."""
    if condition is None:
        return None
    return condition.rsplit(".", 1)[-1] if _DOTTED.match(condition) else condition


def _content_encoding(text: str | None) -> str | None:
    if text is None or " if " not in text:
        return text
    value, condition = text.split(" if ", 1)
    return f"{value} if {_switch(condition)}"


def profile_of(manifest: SurfaceManifest) -> WireProfile:
    """The wire profile of one manifest (pure: the same manifest gives the same profile)."""
    asserted: dict[str, dict[str, str]] = {}
    for a in manifest.wire.asserted:
        asserted.setdefault(a.type, {}).setdefault(a.field, _at(a.location))
    types = {
        t.name: TypeInfo(
            kind=t.kind,
            at=_at(t.location),
            custom_serializer=t.custom_serializer,
            asserted=asserted.get(t.name, {}),
            fields={
                f.wire_name: FieldInfo(
                    annotation=f.annotation,
                    required=f.required,
                    default=None if f.required else f.default_repr,
                    at=_at(f.location),
                )
                for f in t.fields
            },
        )
        for t in manifest.types
        if t.kind in ("request", "response", "model")
    }
    config = types.get("ClientConfigResponse")
    return WireProfile(
        version=manifest.sdk.version,
        endpoints=[
            EndpointInfo(method=e.http_method, path=e.path, callers=e.callers, at=_at(e.locations[0]))
            for e in manifest.endpoints
            if e.locations
        ],
        encodings=[
            EncodingInfo(
                method=e.http_method,
                path=e.path,
                request=e.request,
                condition=_switch(e.condition),
                content_encoding=_content_encoding(e.content_encoding),
                accept=sorted({a.value for a in e.accept}),
                at=_at(e.location),
            )
            for e in manifest.wire.encodings
        ],
        headers={h.name: _at(h.locations[0]) for h in manifest.wire.headers if h.locations},
        types=types,
        client_config=dict(config.fields) if config else {},
        constants={c.key: (c.value, c.unit, _at(c.location)) for c in manifest.constants},
        env_vars={e.name: _at(e.locations[0]) for e in manifest.env_vars if e.locations},
        cli={c.path: _at(c.location) for c in manifest.cli if c.path},
        methods={
            f"{c.name}.{m.name}": _at(m.location)
            for c in manifest.clients
            for m in c.methods
            if not m.name.startswith("_") and m.async_variant_of is None
        },
    )


def profile_path(version: str, directory: Path | None = None) -> Path:
    return (directory or PROFILE_DIR) / f"tinker-{version}.json"


def render_profile(profile: WireProfile) -> str:
    """The stored text of a profile (sorted keys, one item per line where it matters, final newline)."""
    return json.dumps(profile.model_dump(mode="json"), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load_profile(version: str, directory: Path | None = None, *, from_wheel: bool = False) -> WireProfile:
    """The stored profile of ``version``, else (or with ``from_wheel``) one read from its wheel."""
    path = profile_path(version, directory)
    if path.exists() and not from_wheel:
        try:
            return WireProfile.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ManifestError(f"{path}: invalid profile at {where}: {first['msg']}") from None
    from .wheels import manifest_from_wheel

    return profile_of(manifest_from_wheel(version))
