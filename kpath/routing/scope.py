"""What the user asked to see, decided once: the frozen view scope. Pure.

`-n`/`-A`, `-l`, `--all` and the UI's filter text all narrow one `ViewScope`; the CLI, the
screen and every export ask it for the services, paths and findings in view, so the table,
`e` in the UI and `-o json` can never disagree about what a view holds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kpath.cluster.records import ObjectKey, Service
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Finding
from kpath.routing.paths import EntryKind, Path
from kpath.routing.select import Selector, matches, parse_selector


@dataclass(frozen=True)
class ViewScope:
    """``namespaces``: None is every namespace. ``selector``: a kubectl label selector's text
    (the whole grammar: `kpath.routing.select`; ``!=`` and ``notin`` match services without
    the key, as kubectl).
    ``internal``: ClusterIP-only services too (``--all``). ``text``: the UI's filter words,
    all of which must appear in a service's `search_text`."""

    namespaces: frozenset[str] | None = None
    selector: str = ""
    internal: bool = False
    text: str = ""
    _parsed: Selector = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Parsed once, here: a bad selector is an InputError when the scope is made.
        object.__setattr__(self, "_parsed", parse_selector(self.selector or None))

    @classmethod
    def of(
        cls,
        namespace: str | None = None,
        selector: str | None = None,
        internal: bool = False,
        text: str = "",
    ) -> ViewScope:
        """From the flags' shape: one namespace (None: all)."""
        return cls(
            None if namespace is None else frozenset({namespace}), selector or "", internal, text
        )

    def narrowed(self, **changes: Any) -> ViewScope:
        return replace(self, **changes)

    @property
    def all_namespaces(self) -> bool:
        return self.namespaces is None

    def in_namespace(self, namespace: str) -> bool:
        return self.namespaces is None or namespace in self.namespaces

    def labels_match(self, labels: Mapping[str, str]) -> bool:
        return matches(labels, self._parsed)

    def text_matches(self, search: str) -> bool:
        return all(w in search for w in self.text.lower().split())

    # --- the three questions -------------------------------------------------------------

    def service(
        self, analysis: Analysis, key: ObjectKey, words: Mapping[ObjectKey, str] | None = None
    ) -> bool:
        """Namespace, selector and filter text (not exposure: that is a path's). ``words``:
        `search_texts` of the analysis, when asked for many services at once."""
        if not self.in_namespace(key.namespace):
            return False
        svc = analysis.snapshot.services.get(key)
        if not self.labels_match(svc.labels if svc is not None else {}):
            return False
        if not self.text:
            return True
        search = words.get(key, "") if words is not None else search_text(analysis, key)
        return self.text_matches(search)

    def _words(self, analysis: Analysis) -> Mapping[ObjectKey, str] | None:
        # One pass over the paths for every service's words, not one per service.
        return search_texts(analysis) if self.text else None

    def services(self, analysis: Analysis) -> list[ObjectKey]:
        """The services in view, sorted; ClusterIP-only ones only with ``internal``."""
        exposed = {p.service for p in analysis.paths if p.external}
        words = self._words(analysis)
        return [
            k
            for k in sorted(analysis.snapshot.services)
            if (self.internal or k in exposed) and self.service(analysis, k, words)
        ]

    def path(
        self, analysis: Analysis, p: Path, words: Mapping[ObjectKey, str] | None = None
    ) -> bool:
        if not (self.internal or p.external):
            return False
        hop = p.entry.gateway
        if (
            hop is not None
            and self.namespaces is not None
            and (hop.gateway.namespace in self.namespaces or hop.route.namespace in self.namespaces)
        ):
            # A Gateway way in shows in its Gateway's and its route's namespace too.
            svc = analysis.snapshot.services.get(p.service)
            return self.labels_match(svc.labels if svc is not None else {}) and (
                not self.text
                or self.text_matches(
                    words.get(p.service, "")
                    if words is not None
                    else search_text(analysis, p.service)
                )
            )
        return self.service(analysis, p.service, words)

    def paths(self, analysis: Analysis, paths: Iterable[Path] | None = None) -> list[Path]:
        words = self._words(analysis)
        return [
            p for p in (analysis.paths if paths is None else paths) if self.path(analysis, p, words)
        ]

    def finding(
        self, analysis: Analysis, f: Finding, words: Mapping[ObjectKey, str] | None = None
    ) -> bool:
        if f.service is not None:
            return self.service(analysis, f.service, words)
        if self.text:
            return False  # a filtered view shows its services' findings only
        if f.ingress is not None:
            return self.in_namespace(f.ingress.namespace)
        if f.gateway is not None or f.route is not None:
            # About a Gateway or a route: shown in the namespace of either.
            spaces = {f.gateway.namespace} if f.gateway is not None else set()
            if f.route is not None:
                spaces.add(f.route.partition(" ")[2].partition("/")[0])
            return self.namespaces is None or bool(spaces & self.namespaces)
        return True  # about the cluster or the input itself

    def findings(
        self, analysis: Analysis, findings: Iterable[Finding] | None = None
    ) -> list[Finding]:
        words = self._words(analysis)
        return [
            f
            for f in (analysis.findings if findings is None else findings)
            if self.finding(analysis, f, words)
        ]


#: Each way in, in two or three letters: the UI's WAYS column and words the filter matches.
WAY_CODES: dict[EntryKind, str] = {
    EntryKind.LOAD_BALANCER: "LB",
    EntryKind.INGRESS: "Ing",
    EntryKind.GATEWAY: "GW",
    EntryKind.NODE_PORT: "NP",
    EntryKind.EXTERNAL_IP: "EIP",
    EntryKind.CLUSTER_IP: "CIP",
    EntryKind.HEADLESS: "HL",
    EntryKind.EXTERNAL_NAME: "DNS",
}


def ways_of(paths: Iterable[Path]) -> str:
    return ways_of_kinds({p.entry.kind for p in paths})


def ways_of_kinds(kinds: Collection[EntryKind]) -> str:
    """The WAYS codes of these ways in, in the list's order."""
    return " ".join(code for kind, code in WAY_CODES.items() if kind in kinds)


def shown_policy(svc: Service, external: bool) -> str:
    """The traffic policy a service's row shows: external when it has a way in from
    outside, else internal; "-" for an ExternalName (no proxying at all)."""
    if svc.type == "ExternalName":
        return "-"
    return svc.external_traffic_policy if external else svc.internal_traffic_policy


def service_words(key: ObjectKey, kind: str, policy: str, ways: str) -> str:
    """What the filter words are matched against, lower case: the list row's own words."""
    return f"{key.namespace}/{key.name} {kind} {policy} {ways}".lower()


def search_texts(analysis: Analysis) -> dict[ObjectKey, str]:
    """`service_words` of every service of an analysis, in one pass over its paths."""
    by_service: dict[ObjectKey, list[Path]] = {}
    for p in analysis.paths:
        by_service.setdefault(p.service, []).append(p)
    out = {}
    for key, svc in analysis.snapshot.services.items():
        paths = by_service.get(key, [])
        policy = shown_policy(svc, any(p.external for p in paths))
        out[key] = service_words(key, svc.type, policy, ways_of(paths))
    return out


def search_text(analysis: Analysis, key: ObjectKey) -> str:
    """`service_words` for one service of an analysis (the UI's list builds them in bulk)."""
    svc = analysis.snapshot.services.get(key)
    if svc is None:
        return f"{key.namespace}/{key.name}".lower()
    paths = [p for p in analysis.paths if p.service == key]
    return service_words(
        key, svc.type, shown_policy(svc, any(p.external for p in paths)), ways_of(paths)
    )


def shown_namespaces(
    wanted: frozenset[str] | None, read: frozenset[str] | None
) -> frozenset[str] | None:
    """The namespaces a view shows: those asked for (None: all) that were read (None: all
    were). Objects read only to find ingress controllers elsewhere stay out of it: a
    snapshot's ``namespaces_read`` names the namespaces its services were read from."""
    if read is None:
        return wanted
    return read if wanted is None else wanted & read


def namespaces_label(namespaces: frozenset[str] | None) -> str:
    """ "all namespaces", "namespace shop", "namespaces a, b": for headers and counts."""
    if namespaces is None:
        return "all namespaces"
    names = sorted(namespaces)
    return ("namespace " if len(names) == 1 else "namespaces ") + ", ".join(names)
