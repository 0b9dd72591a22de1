"""``docs/sdk-generations.md``: every SDK generation, what it speaks on the wire, what the mock does.

Generated from the same data as ``tinker-harness sdk-diff`` (the wire profiles of
:data:`contracts.surface.profile.BREAK_POINTS`, read from the wheels), the release dates stored from
the package index, the mock's per-version client config and the matrix variants
(:mod:`scenarios.sdk_flow.variants`). ``tinker-harness sdk-generations --write`` regenerates it;
a test keeps the committed file equal to :func:`render_generations_doc`.
"""

from __future__ import annotations

from pathlib import Path

from tinker_harness.contracts.surface.profile import BREAK_POINTS, WireProfile, load_profile
from tinker_harness.contracts.surface.releases import release_dates
from tinker_harness.contracts.surface.wire_diff import diff_profiles
from tinker_harness.mock_server.generations import DEFAULT_CLIENT_CONFIG_BY_VERSION, client_config_for, generation_of
from tinker_harness.scenarios.sdk_flow.variants import variants_for

__all__ = ["DOC_PATH", "render_generations_doc"]

DOC_PATH = Path("docs/sdk-generations.md")


def _yes(flag: bool) -> str:
    return "yes" if flag else "–"


def _fwdbwd(profile: WireProfile) -> str:
    encoding = profile.encoding_of("POST", "/api/v1/forward_backward")
    if encoding is None:
        return "?"
    if encoding.request == "json|protobuf":
        switch = encoding.condition or "?"
        text = f"JSON; protobuf if `{switch}`"
    else:
        text = "protobuf" if encoding.request == "protobuf" else "JSON"
    if encoding.content_encoding:
        text += "; zstd if `proto_compress_fwdbwd`" if " if " in encoding.content_encoding else "; zstd"
    return text


def _results(profile: WireProfile) -> str:
    encoding = profile.encoding_of("POST", "/api/v1/retrieve_future")
    accept = encoding.accept if encoding else []
    if not accept:
        return "JSON"
    return "protobuf only" if not any("json" in a for a in accept) else "protobuf or JSON"


def _restore(profile: WireProfile) -> str:
    load = profile.types.get("LoadWeightsRequest")
    by_session = load is not None and "session_id" in load.fields
    if not by_session:
        return "weights_info → create_model → load_weights(model_id)"
    if "create_model_via_load_weights" in profile.client_config:
        return "as before; load_weights(session_id) if `create_model_via_load_weights`"
    return "load_weights(session_id)"


def _transports(profile: WireProfile) -> str:
    return "httpx, pyqwest (default)" if "use_pyqwest_transport" in profile.client_config else "httpx"


def _mock_does(profile: WireProfile) -> str:
    version = profile.version
    parts = [f"generation `{generation_of(version)}`"]
    overrides = client_config_for(version, {}, DEFAULT_CLIENT_CONFIG_BY_VERSION)
    if overrides and profile.client_config:
        parts.append("client config " + ", ".join(f"`{k}: {str(v).lower()}`" for k, v in sorted(overrides.items())))
    return "; ".join(parts)


def _table(profiles: list[WireProfile], dates: dict[str, str]) -> list[str]:
    out = [
        "| SDK | Released | Paths | forward_backward body | Future results | `/forward` | Client config keys "
        "| Transports | Restore from state | Archive 302 | finish | custom loss upload | join | The mock |",
        "|---|---|---:|---|---|---|---:|---|---|---|---|---|---|---|",
    ]
    for p in profiles:
        has = p.has_endpoint
        out.append(
            f"| {p.version} | {dates.get(p.version, '?')} | {len({e.path for e in p.endpoints})} | {_fwdbwd(p)} "
            f"| {_results(p)} | {_yes(has('POST', '/api/v1/forward'))} | {len(p.client_config) or '–'} "
            f"| {_transports(p)} | {_restore(p)} "
            f"| {_yes(has('GET', '/api/v1/training_runs/{}/checkpoints/{}/archive'))} "
            f"| {_yes(has('POST', '/api/v1/sessions/{}/finish'))} | {_yes(has('POST', '/api/v1/create_custom_loss'))} "
            f"| {_yes(has('POST', '/api/v1/join_sampling_session'))} | {_mock_does(p)} |"
        )
    return out


def _changes(profiles: list[WireProfile]) -> list[str]:
    out: list[str] = []
    for a, b in zip(profiles, profiles[1:], strict=False):
        diff = diff_profiles(a, b)
        out += [f"### {a.version} → {b.version}", ""]
        for audience in ("servers", "ports"):
            found = diff.breaking_for(audience)
            if not found:
                out.append(f"- Breaking for {audience}: none.")
                continue
            out.append(f"- Breaking for {audience} ({len(found)}):")
            out += [f"  - {c.category} {c.action} `{c.subject}`: {c.summary} (`{c.at_b or c.at_a}`)" for c in found]
        others = len(diff.changes) - len(diff.breaking)
        out += [f"- {others} non-breaking changes: `tinker-harness sdk-diff {a.version} {b.version}`.", ""]
    return out


def _variants(profiles: list[WireProfile]) -> list[str]:
    out = [
        "| SDK | Flow runs (`nox -s sdk_matrix`) |",
        "|---|---|",
    ]
    for p in profiles:
        runs = []
        for v in variants_for(p):
            text = f"{v.transport}" + (
                " with " + ", ".join(f"`{s}`" for s in v.switches) if v.switches else ", defaults"
            )
            if v.skip:
                text += f" (skips {', '.join(v.skip)}: {v.defect})"
            runs.append(text)
        out.append(f"| {p.version} | " + "; ".join(runs) + " |")
    return out


def render_generations_doc(versions: tuple[str, ...] = BREAK_POINTS) -> str:
    profiles = [load_profile(v) for v in versions]
    dates = release_dates()
    out = [
        "# SDK generations",
        "",
        "<!-- Generated by `tinker-harness sdk-generations --write` from contracts/surface/profiles/ (read from",
        "     the wheels) and the mock's per-version settings; a test keeps this file up to date. Do not edit. -->",
        "",
        "Every release of the official `tinker` SDK at which the wire changed, what it speaks, and what the mock",
        "does for it. Release dates are the index's upload dates. *Paths* counts distinct `/api/v1` paths the",
        "wheel calls. The full changelog between any two versions: `tinker-harness sdk-diff A B`.",
        "",
        *_table(profiles, dates),
        "",
        "## What the mock verifies per generation",
        "",
        "Each run is the same unmodified flow (`scenarios/sdk_flow/driver.py`: training, checkpoints, sampling,",
        "compute_logprobs, resume with optimizer, REST, and what the version has: archive, finish, custom loss,",
        "join) with zero contract violations; the switches are client-config keys the mock turns on.",
        "",
        *_variants(profiles),
        "",
        "## Breaking changes at each break point",
        "",
        "*Servers*: a server that serves the older SDK must change to serve the newer one. *Ports*: a port that",
        "speaks the older SDK fails against a server that serves only the newer one.",
        "",
        *_changes(profiles),
    ]
    return "\n".join(out).rstrip() + "\n"
