"""Which ways of serving each SDK version the mock verifies: one flow run per transport.

A version's transports and switches come from its wire profile (``ClientConfigResponse`` fields,
read from the wheel): every version runs over httpx with the SDK's defaults; a version whose
client config has ``use_pyqwest_transport`` also runs over pyqwest, and that run (or, without
pyqwest, a second httpx run) turns on every optional wire switch the version has (protobuf
training, zstd, forward through forward_backward, create-via-load_weights, batched
retrieve_futures, join_sampling_session, server-side custom losses), so each code path of each
generation meets the mock once. Known SDK defects leave one step out, with the SDK's file:line.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from tinker_harness.contracts.surface.profile import WireProfile
from tinker_harness.mock_server.config import ServerConfig

__all__ = ["OPTIONAL_SWITCHES", "SDK_DEFECTS", "FlowVariant", "variants_for"]

OPTIONAL_SWITCHES = (
    "proto_write_fwdbwd",
    "proto_compress_fwdbwd",
    "fwd_via_fwdbwd",
    "create_model_via_load_weights",
    "sample_use_retrieve_futures",
    "sample_join_sampling_session",
    "custom_loss_server_side",
)

# (version glob, transport) -> (step the flow skips, the SDK behaviour behind it)
SDK_DEFECTS: dict[tuple[str, str], tuple[str, str]] = {
    ("0.22.*", "pyqwest"): (
        "archive",
        "pyqwest follows the archive's 302 itself although the SDK asks not to "
        "(tinker/resources/weights.py:280 follow_redirects=False), and the SDK then refuses the 200 "
        "(tinker/_base_client.py:1107 'API Response types must subclass AsyncAPIResponse'); "
        "0.24.1 sends redirects through an httpx pool",
    )
}


@dataclass(frozen=True)
class FlowVariant:
    version: str
    transport: str  # "httpx" | "pyqwest"
    switches: tuple[str, ...] = ()  # optional client-config switches the server turns on
    skip: tuple[str, ...] = ()
    defect: str | None = None

    @property
    def id(self) -> str:
        return f"{self.version}-{self.transport}" + ("-switches" if self.switches else "")

    def client_config(self) -> dict[str, bool]:
        config = {"pjwt_auth_enabled": False, "use_pyqwest_transport": self.transport == "pyqwest"}
        config.update(dict.fromkeys(self.switches, True))
        return config

    def server_config(self) -> ServerConfig:
        """The mock's config for this variant (no per-version overrides: the variant decides)."""
        return ServerConfig(client_config=self.client_config(), client_config_by_version={})


def _defect(version: str, transport: str) -> tuple[tuple[str, ...], str | None]:
    for (pattern, kind), (step, why) in SDK_DEFECTS.items():
        if kind == transport and fnmatch.fnmatchcase(version, pattern):
            return (step,), why
    return (), None


def variants_for(profile: WireProfile) -> list[FlowVariant]:
    """The flow runs that verify ``profile.version``."""
    keys = profile.client_config
    switches = tuple(s for s in OPTIONAL_SWITCHES if s in keys)
    out = [FlowVariant(profile.version, "httpx")]
    if "use_pyqwest_transport" in keys:
        skip, defect = _defect(profile.version, "pyqwest")
        out.append(FlowVariant(profile.version, "pyqwest", switches, skip, defect))
    elif switches:
        out.append(FlowVariant(profile.version, "httpx", switches))
    return out
