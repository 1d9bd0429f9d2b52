"""Which paths and findings a user asked to see (-n, -A, -l, --all). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kpath.cluster.records import ObjectKey
from kpath.errors import InputError
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Finding
from kpath.routing.paths import Path


def parse_selector(text: str | None) -> list[tuple[str, str, str]]:
    """``a=b,c!=d,e`` → [(key, op, value)]; op is ``=``, ``!=`` or ``exists``."""
    if not text:
        return []
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "!=" in part:
            k, v = part.split("!=", 1)
            out.append((k.strip(), "!=", v.strip()))
        elif "=" in part:
            k, v = part.split("=", 1)
            out.append((k.strip(), "=", v.strip().lstrip("=")))
        elif part.replace("-", "").replace(".", "").replace("/", "").replace("_", "").isalnum():
            out.append((part, "exists", ""))
        else:
            raise InputError(f"label selector {text!r}: cannot read {part!r} "
                             "(use key=value, key!=value or key)")
    return out


def matches(labels: Mapping[str, str], selector: list[tuple[str, str, str]]) -> bool:
    for key, op, value in selector:
        have = labels.get(key)
        if (op == "=" and have != value) or (op == "!=" and have == value) or (
            op == "exists" and have is None
        ):
            return False
    return True


class Selection:
    """What -n / -A / -l / --all asked for; `None` namespace means every namespace."""

    def __init__(self, analysis: Analysis, namespace: str | None, selector: str | None,
                 internal: bool) -> None:
        self._services = analysis.snapshot.services
        self._namespace = namespace
        self._selector = parse_selector(selector)
        self._internal = internal

    def service(self, key: ObjectKey) -> bool:
        if self._namespace is not None and key.namespace != self._namespace:
            return False
        svc = self._services.get(key)
        labels = svc.labels if svc is not None else {}
        return matches(labels, self._selector)

    def path(self, p: Path) -> bool:
        if not (self._internal or p.external):
            return False
        hop = p.entry.gateway
        if hop is not None and self._namespace in (hop.gateway.namespace, hop.route.namespace):
            # A Gateway way in shows in its Gateway's and its route's namespace too.
            svc = self._services.get(p.service)
            return matches(svc.labels if svc is not None else {}, self._selector)
        return self.service(p.service)

    def finding(self, f: Finding) -> bool:
        if f.service is not None:
            return self.service(f.service)
        if f.ingress is not None:
            return self._namespace is None or f.ingress.namespace == self._namespace
        if f.gateway is not None or f.route is not None:
            # About a Gateway or a route: shown in the namespace of either.
            spaces = {f.gateway.namespace} if f.gateway is not None else set()
            if f.route is not None:
                spaces.add(f.route.partition(" ")[2].partition("/")[0])
            return self._namespace is None or self._namespace in spaces
        return True  # about the cluster or the input itself

    def paths(self, paths: Iterable[Path]) -> list[Path]:
        return [p for p in paths if self.path(p)]

    def findings(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if self.finding(f)]
