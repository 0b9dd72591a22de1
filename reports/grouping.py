"""Root-cause groups: one entry per missing or differing feature, and the list of fixes to do first.

A feature is anchored on a missing SDK method (``RestClient.get_billing_usage``), a missing
endpoint, an SDK type, a CLI command group, a constant family or a single wire fact. Findings fold
into it when they are about the same thing:

* a method's ``_async`` and deprecated twins, the same method on another client, and the
  endpoints only it reaches;
* the types in the method's signature and every type those carry (``AuditLogResponse`` brings
  ``AuditLogEntry``), when they are missing too;
* CLI commands and names whose words contain the anchor's (``billing usage`` ↔ ``billing_usage``);
* the fields of one type; the constants of one family (``jwt.*``).

A group inherits its worst severity and the SDK's status of its methods (stable, experimental,
deprecated; a wire difference that depends on a server switch is server-gated).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from tinker_harness.contracts.surface.model import SurfaceManifest
from tinker_harness.reports.findings import Domain, Finding, Severity

__all__ = ["FeatureGroup", "STATUS_RANK", "group_findings", "top_fixes"]

STATUS_RANK = {"stable": 0, "server-gated": 1, "experimental": 2, "deprecated": 3}
_DOMAIN_RANK = {Domain.WIRE: 0, Domain.ENDPOINTS: 1, Domain.CLIENTS: 2, Domain.TYPES: 3}


class FeatureGroup(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    title: str
    severity: Severity
    status: str  # stable / experimental / deprecated / server-gated
    missing: bool  # the feature is absent (rather than present and different)
    domains: list[Domain]
    findings: list[str]  # finding ids, worst first
    fix: str


def _tokens(text: str) -> list[str]:
    words = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text).lower()
    out = []
    for word in re.split(r"[^a-z0-9]+", words):
        if not word or word in ("api", "v1", "get", "async", "request", "response", "internal"):
            continue
        out.append(word[:-1] if word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "ies")) else word)
    return out


def _method_of(finding: Finding) -> tuple[str, str] | None:
    if finding.domain is not Domain.CLIENTS:
        return None
    client, _, method = finding.subject.split("#", 1)[0].partition(".")
    return client, method


def _base(method: str) -> str:
    return method.removesuffix("_async")


class _Grouper:
    def __init__(self, manifest: SurfaceManifest, findings: list[Finding]) -> None:
        self.manifest = manifest
        self.findings = findings
        self.key: dict[str, str] = {}  # finding id -> group key
        self.label: dict[str, str] = {}  # group key -> readable name
        self.types = {t.name: t for t in manifest.types}

    def assign(self, finding: Finding, key: str, label: str) -> None:
        self.key.setdefault(finding.id, key)
        self.label.setdefault(key, label)

    def methods(self) -> dict[str, str]:
        """Missing methods anchor features; their twins, endpoints and signature types join them.

        Only a missing base method (not just a missing ``_async`` twin) pulls in endpoints and types."""
        anchors: dict[str, str] = {}
        strong: set[str] = set()
        for f in self.findings:
            found = _method_of(f)
            if found is None or f.kind not in ("missing-method", "naming"):
                continue
            client_name, method_name = found
            base = _base(method_name)
            key = "method:" + "_".join(_tokens(base))
            anchors.setdefault(key, f"{client_name}.{base}")
            self.assign(f, key, anchors[key])
            if method_name == base and f.kind == "missing-method":
                strong.add(key)
        by_path = {f.subject.split(" ", 1)[-1]: f for f in self.findings if f.kind == "missing-endpoint"}
        for sdk_client in self.manifest.clients:
            for sdk_method in sdk_client.methods:
                key = "method:" + "_".join(_tokens(_base(sdk_method.name)))
                if key not in strong:
                    continue
                for endpoint in sdk_method.endpoints:
                    hit = by_path.get(re.sub(r"\{[^{}]*\}", "{}", endpoint.path).rstrip("/"))
                    callers = {_base(c.split(".", 1)[1]) for c in self._callers(endpoint.path)}
                    if hit is not None and callers <= {_base(sdk_method.name)}:
                        self.assign(hit, key, anchors[key])
                words = [p.annotation or "" for p in sdk_method.params] + [sdk_method.returns or ""]
                for name in self._reachable(words):
                    for f in self.findings:
                        if f.kind == "missing-type" and f.subject == name:
                            self.assign(f, key, anchors[key])
        return {k: v for k, v in anchors.items() if k in strong}

    def endpoints_and_cli(self, anchors: dict[str, str]) -> dict[str, str]:
        """Missing endpoints nobody else took, and CLI command groups, anchor features of their own."""
        cli = {f.subject.split(" ", 1)[0] for f in self.findings if f.kind == "missing-command"}
        for group in cli:
            anchors.setdefault(f"cli:{group}", f"CLI `{group}` commands")
        for f in self.findings:
            if f.kind == "missing-endpoint" and f.id not in self.key:
                words = _tokens(f.subject.split(" ", 1)[-1])
                if "(SDK: the CLI" in f.title and words and words[0] in cli:
                    key = f"cli:{words[0]}"  # an endpoint only the CLI calls belongs to its command
                else:
                    key = "endpoint:" + "_".join(words)
                    anchors.setdefault(key, f.subject)
                self.assign(f, key, anchors[key])
        return anchors

    def _callers(self, path: str) -> list[str]:
        wanted = re.sub(r"\{[^{}]*\}", "{}", path)
        return [c for e in self.manifest.endpoints if re.sub(r"\{[^{}]*\}", "{}", e.path) == wanted for c in e.callers]

    def _reachable(self, annotations: list[str]) -> set[str]:
        out: set[str] = set()
        todo = [w for a in annotations for w in re.findall(r"[A-Za-z_]\w*", a) if w in self.types]
        while todo:
            name = todo.pop()
            if name in out:
                continue
            out.add(name)
            for field in self.types[name].fields:
                todo += [w for w in re.findall(r"[A-Za-z_]\w*", field.annotation) if w in self.types]
        return out

    def by_words(self, anchors: dict[str, str]) -> None:
        """Ungrouped findings whose words contain an anchor's words join it (the longest anchor wins).

        Missing types, endpoints and commands match by their name; a constant by the SDK type it comes
        from (``ClientConfigResponse.billing_exception_max_pause_duration_sec`` is client config)."""
        sets = sorted(((set(k.split(":", 1)[1].split("_")), k) for k in anchors), key=lambda s: -len(s[0]))
        for f in self.findings:
            if f.id in self.key:
                continue
            if f.domain is Domain.CONSTANTS and f.python is not None and f.python.file.startswith("tinker/types/"):
                words = set(_tokens(f.python.file.rsplit("/", 1)[-1].removesuffix(".py")))
            elif f.kind in ("missing-type", "missing-endpoint", "missing-command", "missing-option"):
                words = set(_tokens(f.subject.split("#", 1)[0]))
            else:
                continue
            for anchor_words, key in sets:
                if key.startswith("cli:") and f.domain is not Domain.CLI and f.kind != "missing-endpoint":
                    continue  # a command group gathers commands and the endpoints only it calls
                if anchor_words and anchor_words <= words:
                    self.assign(f, key, anchors[key])
                    break

    def carriers(self) -> None:
        """A missing type no feature took joins the group of a type that carries it (``DimuonParams``
        is an ``OptimStepRequest`` option), preferring request types."""
        ordered = sorted(self.types.values(), key=lambda t: (t.kind != "request", t.name))
        for f in self.findings:
            if f.kind != "missing-type" or f.id in self.key:
                continue
            for holder in ordered:
                if holder.name == f.subject or f.subject not in self._reachable([x.annotation for x in holder.fields]):
                    continue
                if any(o.kind == "missing-type" and o.subject == holder.name for o in self.findings):
                    continue  # a missing holder is its own feature
                self.assign(f, f"type:{holder.name}", f"{holder.name} fields")
                break

    def types_carried(self) -> None:
        """Missing types carried by a grouped type join its group."""
        changed = True
        while changed:
            changed = False
            for f in self.findings:
                if f.id not in self.key or f.kind != "missing-type" or f.subject not in self.types:
                    continue
                for name in self._reachable([fl.annotation for fl in self.types[f.subject].fields]):
                    for other in self.findings:
                        if other.kind == "missing-type" and other.subject == name and other.id not in self.key:
                            self.assign(other, self.key[f.id], self.label[self.key[f.id]])
                            changed = True

    def rest(self) -> None:
        for f in self.findings:
            subject = f.subject.split("#", 1)[0]
            if f.domain is Domain.CONSTANTS:
                family = subject.split(".", 1)[0]
                self.assign(f, f"constants:{family}", f"{family}.* constants")
            elif f.domain is Domain.CLI:
                group = subject.split(" ", 1)[0]
                self.assign(f, f"cli:{group}", f"CLI `{group}` commands")
            elif f.kind == "header-missing":
                self.assign(f, "wire:headers", "Headers the SDK sets")
            elif f.kind == "option-default":  # one read site behind many methods: one fix
                option = f.subject.split("#", 1)[-1]
                self.assign(f, f"option:{option}:{f.port}", f"Option {option} sent only when the caller sets it")
            elif f.domain in (Domain.TYPES, Domain.WIRE) and f.kind in (
                "missing-field",
                "extra-field",
                "default",
                "naming",
                "null-keys",
            ):
                self.assign(f, f"type:{subject}", f"{subject} fields")
            else:
                label = "Declared SDK version" if f.kind == "declared-sdk-version" else subject
                self.assign(f, f"{f.domain.value}:{f.kind}:{subject}", label)


def _status(manifest: SurfaceManifest, members: list[Finding]) -> str:
    statuses = set()
    for f in members:
        found = _method_of(f)
        if found is None:
            if "when " in f.title and "client_config" in f.title:
                statuses.add("server-gated")
            continue
        client = manifest.client(found[0])
        method = next((m for m in client.methods if m.name == found[1]), None) if client else None
        if method is not None:
            statuses.add("experimental" if method.experimental else "deprecated" if method.deprecated else "stable")
    for status in ("stable", "server-gated", "experimental", "deprecated"):
        if status in statuses:
            return status
    return "stable"


def group_findings(manifest: SurfaceManifest, findings: list[Finding]) -> list[FeatureGroup]:
    grouper = _Grouper(manifest, findings)
    anchors = grouper.endpoints_and_cli(grouper.methods())
    grouper.by_words(anchors)
    grouper.types_carried()
    grouper.carriers()
    grouper.rest()
    members: dict[str, list[Finding]] = {}
    for f in findings:
        members.setdefault(grouper.key[f.id], []).append(f)
    groups = []
    for key, items in members.items():
        items.sort(key=lambda f: (f.severity.rank, _DOMAIN_RANK.get(f.domain, 9), f.id))
        worst = items[0]
        missing = any(f.kind.startswith("missing") for f in items) and all(
            f.kind.startswith("missing") or f.kind == "naming" for f in items
        )
        domains = sorted({f.domain for f in items}, key=lambda d: list(Domain).index(d))
        more = (
            f" ({len(items) - 1} related gap{'s' if len(items) > 2 else ''} below close with it.)"
            if len(items) > 1
            else ""
        )
        groups.append(
            FeatureGroup(
                key=key,
                title=grouper.label[key],
                severity=worst.severity,
                status=_status(manifest, items),
                missing=missing,
                domains=domains,
                findings=[f.id for f in items],
                fix=worst.fix + more,
            )
        )
    groups.sort(key=_rank)
    return groups


# Within a severity, what breaks most traffic first: the encoding of a whole endpoint, the version the
# server gates on, then routes, then body keys.
_KIND_RANK = {"encoding": 0, "declared-sdk-version": 1, "path": 2, "verb": 2, "missing-field": 3}


def _rank(group: FeatureGroup) -> tuple[int, int, int, int, int, str]:
    wire = 0 if Domain.WIRE in group.domains else 1
    kind = _KIND_RANK.get(group.findings[0].split("/", 2)[1], 9) if group.findings else 9
    return (group.severity.rank, STATUS_RANK.get(group.status, 9), wire, kind, -len(group.findings), group.key)


def top_fixes(groups: list[FeatureGroup], limit: int = 10) -> list[str]:
    """Keys of the groups to fix first: worst severity, stable before deprecated, wire first, biggest."""
    return [g.key for g in sorted(groups, key=_rank)[:limit]]
