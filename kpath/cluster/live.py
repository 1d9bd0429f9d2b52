"""The live source: read a running cluster through the current kubeconfig into a `RawCluster`.

kubeconfig resolution and credentials are `kubeconfig.py`'s job; this module lists the kinds
kpath reads, page by page (``limit``/``continue``), with GET requests only, and hands on the
API's own dicts. Requests go through urllib3 alone where kpath reads the kubeconfig's
credentials itself (`kubeconfig.plain_transport`: tokens, certificates), else through the
``kubernetes`` package's ApiClient (exec plugins, auth providers, proxies); its model classes
are never used: a page of a kind routing reads is decoded typed into the fields kpath reads
(`kpath.cluster.typed`), any other reply with ``json.loads``, while the cyclic GC is paused
(notes-lab §4).

Pages travel while kpath works: the next page of a list is asked for (in a thread: waiting
on the socket releases the GIL) as soon as this one's ``continue`` token is seen, by the
page's own thread as soon as it is in (at most two pages ahead of the reader), and the
next list's first page as soon as this list's last page is in. A read that is not followed
(`load_live_snapshot`, for `kpath paths`) parses its biggest kinds page by page
(`liveparse.PageParser`) and lets each page go: it never holds the raw objects of the whole
cluster, nor more than a few pages of bytes. A followed read (`load_live_followed`, for the
UI) parses them the same way and keeps the objects as their typed Structs, which become
dicts only when the follower first reads them.

What is read:

- Nodes and IngressClasses (cluster-scoped) always.
- Pods, Services, EndpointSlices and Ingresses in one namespace (``-n``, else the context's
  namespace, else ``default``), or in all namespaces with ``-A``.
- Legacy Endpoints only when EndpointSlices cannot be read (403, or 404 on an old server).
- The Gateway API (group gateway.networking.k8s.io), when the server serves it: which
  versions serve which kinds is discovered (``GET /apis``, once for every group, then each
  version's resource list, preferred version first, stopping once every kind is placed), and each
  kind is read at the most preferred version that serves it; no version is assumed (v1.5
  stopped serving TLSRoute v1alpha2); where the group serves no ListenerSet, the
  experimental group's XListenerSet (gateway.networking.x-k8s.io) is looked for.
  Namespaced kinds are read like Pods (``-n`` or ``-A``); when any object was found,
  GatewayClasses and Namespaces too (cluster-scoped: which controller serves a class; the
  labels ``allowedRoutes`` selectors match). A server without the group (no CRDs) is
  normal: nothing is said. ``-l`` does not filter them.
- NetworkPolicies (networking.k8s.io/v1) like Pods (``-n`` or ``-A``), and the Namespaces
  when a policy chooses peers by namespace labels (unless the Gateway API read them). The
  policy kinds kpath lists but does not evaluate (AdminNetworkPolicy and its baseline,
  ClusterNetworkPolicy, Cilium's, Calico's) only where the server serves their group: one
  ``GET /apis`` says which (absent is normal, nothing is said), then each kind at its
  preferred version. 403 on any of these is "not visible" (KP301); ``-l`` filters none.

What ``-l`` filters: Services, by label (the server applies the selector). EndpointSlices
and Endpoints are kept only for the kept Services, Ingresses only when a backend names a
kept Service. Nodes, IngressClasses and pods are always read in full, because routing needs
them whatever the selection (pods resolve named target ports and carry node names).

Ingress controllers and Gateways' Services across the cluster: with ``-n`` (or ``-l``) and
any Ingress or Gateway API object read, one more LIST of every namespace's Services keeps
the LoadBalancer and NodePort ones not read yet, and one LIST of EndpointSlices their
endpoints (`_read_controllers`), so an Ingress in ``shop`` finds its controller in
``ingress-nginx``. ``RawCluster.namespaces_read`` still names only the namespace asked for
(the view narrows to it). When that LIST is refused (a Role in one namespace), the load goes
on and ``controllers_unread`` says why (KP204 words it). The Gateways the routes read name
in other namespaces are listed too (`_read_parent_gateways`; refused: ``gateways_unread``,
which KP416 words).

Errors: a kind the user may not list (403) or the server does not serve (404) lands in
``RawCluster.not_visible`` and the rest is still read; when *no* kind could be read (every
list 403, or 404 from something that is not an API server) that is a one-line `SourceError`
(`readable.nothing_readable`). An unreachable server, a TLS failure,
a timeout, rejected credentials (401) or any other failure are one-line `SourceError`s.
"""

from __future__ import annotations

import builtins
import functools
import json
import re
import threading
import warnings
from collections.abc import Callable, Container, Iterable
from contextlib import suppress
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode

import urllib3

from kpath.cluster.gatewaykinds import EXPERIMENTAL_GROUP, GATEWAY_KINDS, GROUP, ROUTE_KINDS
from kpath.cluster.kubeconfig import PlainTransport, Target, one_line, resolve_target
from kpath.cluster.kubeconfig import list_contexts as list_contexts
from kpath.cluster.liveparse import PARSED_KINDS, PageParser, Parsed, object_key
from kpath.cluster.policykinds import NETPOL_GROUP, OTHER_POLICY_BY_GROUP, OTHER_POLICY_RAW
from kpath.cluster.raw import RawCluster, RawObject
from kpath.cluster.readable import nothing_readable
from kpath.errors import InputError, SourceError
from kpath.gcpause import GcPause, paused_gc

if TYPE_CHECKING:
    from kpath.cluster.snapshot import Snapshot

__all__ = [
    "LiveOptions",
    "NotVisible",
    "list_contexts",
    "list_kind",
    "load_live",
    "load_live_followed",
    "load_live_snapshot",
]


@dataclass(frozen=True)
class LiveOptions:
    kubeconfig: str | None = None  # --kubeconfig; else $KUBECONFIG, ~/.kube/config, in-cluster
    context: str | None = None  # --context
    namespace: str | None = None  # -n; None without -A means the context's namespace
    all_namespaces: bool = False  # -A
    selector: str | None = None  # -l, applied to Services (see the module docstring)
    page_size: int = 500
    timeout: float = 10.0


@dataclass(frozen=True)
class Resource:
    kind: str
    group_version: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None) -> str:
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if self.namespaced and namespace is not None:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{base}/{self.plural}"


NODE = Resource("Node", "v1", "nodes", False)
POD = Resource("Pod", "v1", "pods", True)
SERVICE = Resource("Service", "v1", "services", True)
ENDPOINTS = Resource("Endpoints", "v1", "endpoints", True)
ENDPOINT_SLICE = Resource("EndpointSlice", "discovery.k8s.io/v1", "endpointslices", True)
INGRESS = Resource("Ingress", "networking.k8s.io/v1", "ingresses", True)
INGRESS_CLASS = Resource("IngressClass", "networking.k8s.io/v1", "ingressclasses", False)
NAMESPACE = Resource("Namespace", "v1", "namespaces", False)
NETWORK_POLICY = Resource("NetworkPolicy", f"{NETPOL_GROUP}/v1", "networkpolicies", True)


#: Above this many objects read, they are moved out of the collector's sight once loaded
#: (``gc.freeze``, as `GcPause` does for dumps): they live as long as the analysis.
FREEZE_OBJECTS = 2_000


class NotVisible(Exception):
    """This kind cannot be listed (403/404); the message is the reason shown to the user."""


def load_live(options: LiveOptions) -> RawCluster:
    """Read the cluster the kubeconfig points at. Read-only: GET requests only."""
    return _load(options, None, _as_read)


def _as_read(raw: RawCluster) -> RawCluster:
    return raw


def load_live_snapshot(options: LiveOptions) -> Snapshot:
    """`load_live` and `build_snapshot` in one, for a read that is not followed: the
    biggest kinds are parsed page by page (`PageParser`), so their raw objects are never
    all held. The same snapshot, and the same errors, as the two one after the other."""
    from kpath.cluster.snapshot import build_snapshot

    parser: PageParser | None = None

    def parse(origin: str) -> PageParser:
        nonlocal parser
        parser = PageParser(origin)
        return parser

    def build(raw: RawCluster) -> Snapshot:
        assert parser is not None
        parser.raise_refused()
        return build_snapshot(raw, parser.intern)

    return _load(options, parse, build)


def load_live_followed(options: LiveOptions) -> tuple[RawCluster, Snapshot]:
    """`load_live` and `build_snapshot` in one, for a read that is followed: the snapshot
    `load_live_snapshot` makes (the biggest kinds parsed page by page, straight from their
    typed Structs), and every object read, filed in the `RawCluster` the follower and its
    rebuilds read. The biggest kinds are held there as those Structs: ``objects`` turns
    them into their dicts the first time it is read (once following starts, after the
    first screen), so the load pays for no dict of them."""
    from kpath.cluster.snapshot import build_snapshot

    parser: PageParser | None = None

    def parse(origin: str) -> PageParser:
        nonlocal parser
        parser = PageParser(origin, hold=True)
        return parser

    def build(raw: RawCluster) -> tuple[RawCluster, Snapshot]:
        assert parser is not None
        parser.raise_refused()
        return raw, build_snapshot(raw, parser.intern)

    return _load(options, parse, build)


_Built = TypeVar("_Built")


def _load(
    options: LiveOptions,
    parse: Callable[[str], PageParser] | None,
    build: Callable[[RawCluster], _Built],
) -> _Built:
    """Read into a `RawCluster` (``parse``: a `PageParser` for the biggest kinds), then
    ``build`` what the caller returns from it."""
    if options.page_size < 1:
        raise InputError(f"page size must be at least 1, not {options.page_size}")
    if options.timeout <= 0:
        raise InputError(f"timeout must be positive, not {options.timeout}")
    target = resolve_target(options.kubeconfig, options.context)
    namespace = None if options.all_namespaces else (options.namespace or target.namespace)
    raw = RawCluster(
        origin=target.origin, namespaces_read=None if namespace is None else frozenset({namespace})
    )
    if target.insecure:
        raw.warnings.append(
            f"TLS verification is off for {target.origin} "
            "(insecure-skip-tls-verify in the kubeconfig)"
        )
    # One pause for the whole load (as a dump's): each page's objects would otherwise make
    # the collector walk every object read so far again (a second of a 15,000-pod load).
    # ``build`` runs inside it too: what it makes (a snapshot) lives as long as what was
    # read, and is frozen with it, rather than walked by the collector once it is back.
    with GcPause() as pause:
        with _Reader(target, options) as reader:
            reader.parser = None if parse is None else parse(raw.origin)
            _read_all(reader, raw, namespace, options.selector)
        raw.list_versions.update(reader.versions)
        stop = nothing_readable(
            target.server,
            target.origin.split(" @ ")[0],
            namespace,
            reader.refused,
            raw.held.keys(),
        )
        if stop is not None:
            raise SourceError(stop)
        built = build(raw)
        # (``held``, not ``objects``: that would turn held Structs into dicts here.)
        read = sum(map(len, raw.held.values()))
        parsed = reader.parser.count() if reader.parser and not reader.parser.hold else 0
        pause.freeze = read + parsed >= FREEZE_OBJECTS
    return built


def list_kind(options: LiveOptions, res: Resource, namespace: str | None = None) -> list[RawObject]:
    """Every object of one kind, read alone (the namespaces for `n`, say); `NotVisible`
    on 403/404, `SourceError` when the server cannot be read."""
    with _Reader(resolve_target(options.kubeconfig, options.context), options) as reader:
        return reader.list(res, namespace)


def _read_all(
    reader: _Reader, raw: RawCluster, namespace: str | None, selector: str | None
) -> None:
    # The lists read whatever the answers (Endpoints only stand in for slices): each one's
    # first page is asked for while the one before it is filed.
    reader.plan(
        [
            *(
                reader.first_page(res, namespace if res.namespaced else None, sel)
                for res, sel in (
                    (NODE, None),
                    (INGRESS_CLASS, None),
                    (POD, None),
                    (SERVICE, selector),
                    (ENDPOINT_SLICE, None),
                    (INGRESS, None),
                )
            ),
            GROUPS_PATH,
        ]
    )
    for res in (NODE, INGRESS_CLASS, POD):
        _collect(reader, raw, res, namespace if res.namespaced else None)
    services = _collect(reader, raw, SERVICE, namespace, selector)
    # Services not visible (403) with -l: none is selected, so nothing refers to one.
    kept = (
        None if selector is None else _service_keys(reader, raw) if services is not None else set()
    )
    slices = _collect(
        reader,
        raw,
        ENDPOINT_SLICE,
        namespace,
        keep=None if kept is None else lambda s: _slice_service(s) in kept,
    )
    if slices is None:
        # kube-proxy itself needs slices; a user who cannot list them may still see Endpoints.
        _collect(
            reader,
            raw,
            ENDPOINTS,
            namespace,
            keep=None if kept is None else lambda e: object_key(e) in kept,
        )
    ingresses = _collect(
        reader,
        raw,
        INGRESS,
        namespace,
        keep=None if kept is None else lambda i: bool(backend_services(i) & kept),
    )
    # One GET /apis says which groups the server serves: the Gateway API's and the policy
    # kinds' groups are looked into only where served.
    try:
        groups: dict[str, dict[str, Any]] | NotVisible = reader.groups()
    except NotVisible as reason:
        groups = reason
    _read_gateway_api(reader, raw, namespace, groups)
    _read_policies(reader, raw, namespace, groups)
    if (namespace is not None or selector is not None) and (
        ingresses or any(raw.held.get(k) for k in GATEWAY_KINDS)
    ):
        _read_controllers(reader, raw, namespace, selector)


#: The Service types an ingress controller or a Gateway's data plane is reached through.
CONTROLLER_TYPES = ("LoadBalancer", "NodePort")


def _read_controllers(
    reader: _Reader, raw: RawCluster, namespace: str | None, selector: str | None
) -> None:
    """With ``-n`` (or ``-l``), an Ingress's controller and a Gateway's Service usually sit
    outside what was read (ingress-nginx, gateway-system). Reading every namespace in full
    would cost a LIST of every pod; instead one LIST of Services across the cluster keeps
    the LoadBalancer and NodePort ones not read yet (the only types a controller is reached
    through), and one LIST of EndpointSlices (selected by service name) their endpoints.
    The view still shows only what was asked: the scope narrows to ``namespaces_read``.
    A user who may read one namespace only (403) still gets that namespace; KP204 then says
    the controller is outside what could be read."""
    try:
        everything = reader.list(SERVICE, None)
    except NotVisible as reason:
        where = f"namespace {namespace}" if namespace is not None else f"-l {selector}"
        raw.controllers_unread = f"Services outside {where} could not be listed ({reason})"
        return
    have = _service_keys(reader, raw)
    extra = [
        s
        for s in everything
        if object_key(s) not in have and (s.get("spec") or {}).get("type") in CONTROLLER_TYPES
    ]
    del everything
    wanted = {object_key(s) for s in extra}
    _file(reader, raw, "Service", extra)
    if not extra or "EndpointSlice" not in raw.held:
        return
    names = sorted({name for _, name in wanted})
    with suppress(NotVisible):  # without them the controller's Service shows no endpoints
        listed = reader.list(
            ENDPOINT_SLICE, None, f"kubernetes.io/service-name in ({','.join(names)})"
        )
        _file(reader, raw, "EndpointSlice", [sl for sl in listed if _slice_service(sl) in wanted])


def _read_policies(
    reader: _Reader,
    raw: RawCluster,
    namespace: str | None,
    groups: dict[str, dict[str, Any]] | NotVisible,
) -> None:
    """NetworkPolicies in the scope read, the Namespaces their namespaceSelectors match
    (unless already read), and the policy kinds kpath lists without evaluating, from the
    ``groups`` the server serves (a server without them costs nothing, and says nothing)."""
    policies = _collect(reader, raw, NETWORK_POLICY, namespace)
    if (
        policies
        and "Namespace" not in raw.held
        and "Namespace" not in raw.not_visible
        and any(selects_namespaces(p) for p in policies)
    ):
        _collect(reader, raw, NAMESPACE, None)
    if isinstance(groups, NotVisible):  # discovery itself refused
        for kind in OTHER_POLICY_RAW:
            raw.not_visible[kind] = str(groups)
        return
    wanted: dict[str, set[str]] = {}
    for group, kind in OTHER_POLICY_BY_GROUP:
        if group in groups:
            wanted.setdefault(group, set()).add(kind)
    for group, kinds in sorted(wanted.items()):
        try:
            served = reader.discover(group, kinds, groups[group])
        except NotVisible as reason:
            for kind in kinds:
                raw.not_visible[OTHER_POLICY_BY_GROUP[(group, kind)]] = str(reason)
            continue
        for kind, res in sorted(served.items()):
            filed = replace(res, kind=OTHER_POLICY_BY_GROUP[(group, kind)])
            # Listed only to be named; across namespaces only as the other kinds are.
            _collect(reader, raw, filed, namespace)


def selects_namespaces(policy: RawObject) -> bool:
    """Does any peer of this (raw) NetworkPolicy choose pods by namespace labels?"""
    spec = policy.get("spec")
    if not isinstance(spec, dict):
        return False
    for key, peers in (("ingress", "from"), ("egress", "to")):
        rules = spec.get(key)
        for rule in rules if isinstance(rules, list) else ():
            found = rule.get(peers) if isinstance(rule, dict) else None
            for peer in found if isinstance(found, list) else ():
                if isinstance(peer, dict) and peer.get("namespaceSelector") is not None:
                    return True
    return False


def _read_gateway_api(
    reader: _Reader,
    raw: RawCluster,
    namespace: str | None,
    groups: dict[str, dict[str, Any]] | NotVisible,
) -> None:
    """The Gateway API kinds the server serves, each at its preferred version, and the
    Namespaces their selectors need. Nothing at all when the group is not served."""
    try:
        if isinstance(groups, NotVisible):
            raise groups
        served = reader.discover(GROUP, GATEWAY_KINDS, groups[GROUP]) if GROUP in groups else {}
    except NotVisible as reason:  # discovery itself refused: every kind is unknown
        for kind in GATEWAY_KINDS:
            raw.not_visible[kind] = str(reason)
        return
    if served and "ListenerSet" not in served and EXPERIMENTAL_GROUP in groups:
        # Before v1.5 ListenerSet was XListenerSet in the experimental group.
        with suppress(NotVisible):
            old = reader.discover(
                EXPERIMENTAL_GROUP, ("XListenerSet",), groups[EXPERIMENTAL_GROUP]
            ).get("XListenerSet")
            if old is not None:
                served["ListenerSet"] = replace(old, kind="ListenerSet")
    found = False
    for kind in GATEWAY_KINDS:
        res = served.get(kind)
        if res is not None and res.namespaced:
            items = _collect(reader, raw, res, namespace)
            found = found or bool(items)
    gateway = served.get("Gateway")
    if namespace is not None and gateway is not None:
        _read_parent_gateways(reader, raw, namespace, gateway)
    if not found:
        # Classes and namespace labels only matter to Gateways and routes: without any,
        # two lists (and a "not visible" a namespaced Role would always get) are spared.
        return
    for res in (served.get("GatewayClass"), NAMESPACE):
        if res is not None:
            _collect(reader, raw, res, None)


def _read_parent_gateways(
    reader: _Reader, raw: RawCluster, namespace: str, gateway: Resource
) -> None:
    """With ``-n``, routes often attach to a Gateway of another namespace (a shared one in
    ``infra``): one LIST of Gateways across the cluster keeps those the routes read name,
    so a route is not said to have no Gateway. Refused (403): the load goes on, and
    ``gateways_unread`` says why (KP416 words it)."""
    wanted = parent_gateways(raw, namespace)
    if not wanted:
        return
    try:
        everything = reader.list(gateway, None)
    except NotVisible as reason:
        raw.gateways_unread = (
            f"Gateways outside namespace {namespace} could not be listed ({reason})"
        )
        return
    for gw in everything:
        if object_key(gw) in wanted:
            raw.add("Gateway", gw)


def parent_gateways(raw: RawCluster, namespace: str) -> set[tuple[str, str]]:
    """(namespace, name) of the Gateways outside ``namespace`` its routes (and ListenerSets)
    name as parents."""
    out: set[tuple[str, str]] = set()
    for kind in ROUTE_KINDS:
        for route in raw.objects.get(kind, ()):
            refs = (route.get("spec") or {}).get("parentRefs")
            for ref in refs if isinstance(refs, list) else ():
                if (
                    not isinstance(ref, dict)
                    or ref.get("kind", "Gateway") != "Gateway"
                    or ref.get("group", GROUP) != GROUP
                ):
                    continue
                ns, name = ref.get("namespace") or namespace, ref.get("name")
                if isinstance(ns, str) and isinstance(name, str) and ns != namespace:
                    out.add((ns, name))
    for ls in raw.objects.get("ListenerSet", ()):  # a ListenerSet's own Gateway
        ref = (ls.get("spec") or {}).get("parentRef")
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            ns = ref.get("namespace") or namespace
            if isinstance(ns, str) and ns != namespace:
                out.add((ns, ref["name"]))
    return out


def gateway_watch_resources(target: Target, options: LiveOptions) -> dict[str, Resource]:
    """kind -> where to watch it, for the Gateway API kinds this server serves (and
    Namespaces with them); empty without the group, or when discovery fails (the watch
    then follows the core kinds alone)."""
    try:
        with _Reader(target, options) as reader:
            served = reader.discover(GROUP, GATEWAY_KINDS)
    except (NotVisible, SourceError):
        return {}
    return {**served, "Namespace": NAMESPACE} if served else {}


def policy_watch_resources(target: Target, options: LiveOptions) -> dict[str, Resource]:
    """RawCluster kind -> where to watch it, for the policy kinds kpath lists without
    evaluating that this server serves (as `_read_policies` finds them); empty when none
    is served or discovery fails."""
    found: dict[str, Resource] = {}
    try:
        with _Reader(target, options) as reader:
            groups = reader.groups()
            wanted: dict[str, set[str]] = {}
            for group, kind in OTHER_POLICY_BY_GROUP:
                if group in groups:
                    wanted.setdefault(group, set()).add(kind)
            for group, kinds in sorted(wanted.items()):
                with suppress(NotVisible):
                    for kind, res in reader.discover(group, kinds, groups[group]).items():
                        raw_kind = OTHER_POLICY_BY_GROUP[(group, kind)]
                        found.setdefault(raw_kind, replace(res, kind=raw_kind))
    except (NotVisible, SourceError):
        return {}
    return found


def _collect(
    reader: _Reader,
    raw: RawCluster,
    res: Resource,
    namespace: str | None,
    selector: str | None = None,
    keep: Callable[[RawObject], bool] | None = None,
) -> list[RawObject] | None:
    """List one kind and file what ``keep`` keeps into ``raw`` (the objects kept), or, for
    a kind the reader parses as it reads (`PageParser`), their records page by page (an
    empty list: no dicts are kept); None when the kind is not visible."""
    parser = reader.parser if res.kind in PARSED_KINDS else None
    try:
        if parser is not None:
            pages = reader.pages(
                res,
                namespace,
                selector,
                lambda items: parser.parse(
                    res.kind, items if keep is None else filter(keep, items), res.group_version
                ),
                # Records straight from typed Structs (as a dump's), unless ``keep`` reads
                # the dicts.
                structs=keep is None,
            )
        else:
            items = reader.list(res, namespace, selector)
    except NotVisible as reason:
        raw.not_visible[res.kind] = str(reason)
        return None
    raw.saw(res.kind)
    if parser is not None:
        parser.saw(res.kind)
        parser.file(res.kind, pages)
        if parser.hold:
            _hold(raw, res.kind, pages)
        return []
    kept = [o for o in items if keep is None or keep(o)]
    for obj in kept:
        raw.add(res.kind, obj)
    return kept


def _file(reader: _Reader, raw: RawCluster, kind: str, objects: list[RawObject]) -> None:
    """File objects read outside `_collect` (after it), as `_collect` files their kind."""
    parser = reader.parser if kind in PARSED_KINDS else None
    if parser is not None:
        pages = [parser.parse(kind, objects)]
        parser.file(kind, pages)
        if parser.hold:
            _hold(raw, kind, pages)
        return
    for obj in objects:
        raw.add(kind, obj)


def _hold(raw: RawCluster, kind: str, pages: Iterable[Parsed]) -> None:
    """File the objects a holding `PageParser` kept of ``pages`` (a followed read), in
    the order read, as `RawCluster.add` files them (Structs held as a typed dump's)."""
    for page in pages:
        if page.objects:
            raw.extend(kind, page.objects)


def _service_keys(reader: _Reader, raw: RawCluster) -> set[tuple[str, str]]:
    """(namespace, name) of every Service filed so far."""
    if reader.parser is not None:
        return set(reader.parser.service_keys)
    return {object_key(s) for s in raw.objects.get("Service", ())}


# -- which objects belong to the selected services (pure) ----------------------------------


def _slice_service(obj: RawObject) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    return (meta.get("namespace") or "", labels.get("kubernetes.io/service-name") or "")


def backend_services(ingress: RawObject) -> set[tuple[str, str]]:
    """(namespace, name) of every Service an Ingress sends to (default backend and rules)."""
    ns = object_key(ingress)[0]
    spec = ingress.get("spec") or {}
    backends = [spec.get("defaultBackend")]
    for rule in spec.get("rules") or []:
        http = (rule or {}).get("http") or {}
        backends.extend((p or {}).get("backend") for p in http.get("paths") or [])
    names = set()
    for b in backends:
        svc = (b or {}).get("service") or {}
        if isinstance(svc, dict) and svc.get("name"):
            names.add((ns, svc["name"]))
    return names


# -- HTTP -----------------------------------------------------------------------------------


_T = TypeVar("_T")


def _same(items: list[RawObject]) -> list[RawObject]:
    return items


class _Pending:
    """One GET in a thread of its own: waiting on the socket releases the GIL, so the next
    page travels while the main thread decodes this one. `result` re-raises its error.

    ``then``: called in the thread with a successful answer, before `result` returns it
    (it may ask for the page after, `_Reader._chain`); ``taken``: called once `result` is."""

    def __init__(
        self,
        get: Callable[[str], tuple[int, bytes]],
        path: str,
        then: Callable[[tuple[int, bytes]], None] | None = None,
        taken: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self._get = get
        self._then = then
        self._taken = taken
        self._answer: tuple[int, bytes] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kpath-page", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._answer = self._get(self.path)
        except BaseException as exc:  # handed to the caller, which raises it
            self._error = exc
            return
        if self._then is not None:
            with suppress(Exception):  # (no thread to spare: the reader asks for it itself)
                self._then(self._answer)

    def result(self) -> tuple[int, bytes]:
        self._thread.join()
        if self._taken is not None:
            taken, self._taken = self._taken, None
            taken()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        assert self._answer is not None
        answer, self._answer = self._answer, None  # the bytes are the caller's alone now
        return answer


#: Discovery of every API group the server serves.
GROUPS_PATH = "/apis"
#: Pages asked for by the pages' threads (`_Reader._chain`) and not yet taken by the
#: reader: with the one it decodes, at most this many more pages' bytes are held.
CHAINED = 2

#: A list page's continue token as the API server writes it: in ``metadata``, before the
#: items (``{"kind":…,"apiVersion":…,"metadata":{…,"continue":"…"},"items":[…``).
_CONTINUE = re.compile(rb'"continue"\s*:\s*"([^"\\]+)"')
_HEAD_BYTES = 4096


def _next_token(body: bytes) -> str | None:
    """The ``continue`` token a page probably carries, found in its first bytes without
    decoding it (decoding only the head would still scan every item: 40% of a decode).
    A guess, to ask for the next page early: the page, once decoded, says whether it was
    right (`_Reader.pages` asks again with the page's own token when not)."""
    found = _CONTINUE.search(body, 0, _HEAD_BYTES)
    if found is None or body.find(b'"items"', 0, found.start()) != -1:
        return None
    try:
        return found.group(1).decode("ascii")
    except UnicodeDecodeError:
        return None


class _ClientError(Exception):
    """A request through the client failed before any HTTP answer (``cause``: why)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _RefreshFailed(Exception):
    """The client could not refresh the credentials (an exec plugin, an expired token)."""


class _PlainHttp:
    """GET requests with urllib3 alone, configured as the client configures it for the
    same kubeconfig (`kubeconfig.plain_transport`): no retries, one pool per server."""

    def __init__(self, plain: PlainTransport, timeout: float) -> None:
        import ssl

        args: dict[str, Any] = {
            "cert_reqs": ssl.CERT_REQUIRED if plain.verify else ssl.CERT_NONE,
            "ca_certs": plain.ca_file,
            "cert_file": plain.cert_file,
            "key_file": plain.key_file,
            "retries": False,
            # A page ahead and the next list's first page may be under way together.
            "maxsize": 2,
        }
        if plain.tls_server_name:
            args["server_hostname"] = plain.tls_server_name
        self.pool = urllib3.PoolManager(**args)
        self.host = plain.host
        self.headers = {"Accept": "application/json", "User-Agent": "kpath"}
        if plain.authorization:
            self.headers["authorization"] = plain.authorization
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)

    def get(self, path: str) -> tuple[int, bytes]:
        response = self.pool.request(
            "GET", self.host + path, headers=self.headers, timeout=self.timeout, retries=False
        )
        return response.status, response.data

    def close(self) -> None:
        self.pool.clear()


class _ClientHttp:
    """GET requests through the kubernetes client, for credentials only it reads (exec
    plugins refreshing tokens, auth providers, proxies)."""

    def __init__(self, target: Target, timeout: float) -> None:
        from kubernetes.client import ApiClient

        configuration = target.configuration
        # No urllib3 retries: an unreachable server must fail fast with the real reason.
        configuration.retries = False
        self.api = ApiClient(configuration)
        self.api.user_agent = "kpath"
        self.timeout = timeout

    def get(self, path: str) -> tuple[int, bytes]:
        from kubernetes.client.exceptions import ApiException
        from kubernetes.config.config_exception import ConfigException

        try:
            method, url, headers, _, _ = self.api.param_serialize(
                "GET",
                path,
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
            )
            response = self.api.call_api(
                method, url, header_params=headers, _request_timeout=(self.timeout, self.timeout)
            )
            return response.status, response.read()
        except ConfigException as exc:  # an exec plugin refreshing an expired token
            raise _RefreshFailed(str(exc)) from None
        except ApiException as exc:
            raise _ClientError(exc) from None

    def close(self) -> None:
        self.api.close()


class _Reader:
    """GET-only lister over one API server, with kpath's error mapping."""

    def __init__(self, target: Target, options: LiveOptions) -> None:
        self.target = target
        self.page_size = options.page_size
        self.timeout = options.timeout
        self.http: _PlainHttp | _ClientHttp = (
            _PlainHttp(target.plain, options.timeout)
            if target.plain is not None
            else _ClientHttp(target, options.timeout)
        )
        self._warnings = warnings.catch_warnings()
        #: Parses the biggest kinds as their pages arrive (a read that is not followed).
        self.parser: PageParser | None = None
        #: The requests about to be made, in order (`plan`), and those already under way.
        self._planned: builtins.list[str] = []
        self._early: dict[str, _Pending] = {}
        #: Pages' threads add to ``_early`` too (`_chain`); how many pages they asked for
        #: that the reader has not taken yet.
        self._lock = threading.Lock()
        self._chained = 0
        self._closed = False
        self.refused: dict[str, int] = {}  # kind -> 403 or 404, for `nothing_readable`
        #: (kind, namespace or None) -> the resourceVersion of its first list, which a
        #: watch resumes from (`RawCluster.list_versions`).
        self.versions: dict[tuple[str, str | None], str] = {}

    def __enter__(self) -> _Reader:
        self._warnings.__enter__()
        # The kubeconfig asked for no verification; kpath reports that once, not per request.
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            self._closed = True
        if kind is None or issubclass(kind, Exception):
            while self._early:  # asked for, not needed (the read stopped)
                with self._lock:
                    early = self._early.pop(next(iter(self._early)))
                self._settle(early)  # (its thread may have asked for one more: the loop)
        self.http.close()
        self._warnings.__exit__(kind, exc, tb)

    def list(
        self, res: Resource, namespace: str | None, selector: str | None = None
    ) -> list[RawObject]:
        """Every object of one kind, following ``continue`` tokens (see `pages`)."""
        items: list[RawObject] = []
        for page in self.pages(res, namespace, selector, _same):
            items.extend(page)
        return items

    def pages(
        self,
        res: Resource,
        namespace: str | None,
        selector: str | None,
        each: Callable[[builtins.list[RawObject]], _T],
        structs: bool = False,
    ) -> builtins.list[_T]:
        """``each`` of every page's objects, following ``continue`` tokens. The first
        page's resourceVersion is the list's (every later page is read at it); it is kept
        in ``versions``, the first list of a scope winning: a watch from an older version
        replays events the later list already held, which changes nothing.

        The next page is asked for (in a thread of its own) as soon as this one's
        ``continue`` token is known (by this page's thread, `_chain`), so it arrives
        while this one is decoded and filed;
        a list read again from its start (410 on a token) drops what ``each`` made.
        ``structs``: a page of ``res``'s kind gives its items as the typed Structs a dump's
        give (`_decode_structs`), for a reader that takes them (`PageParser`)."""
        done: builtins.list[_T] = []
        token: str | None = None
        restarted = False
        version: str | None = None
        first = self.first_page(res, namespace, selector)
        pending: _Pending | None = self._fetch(first)

        # Pages' threads ask for the page after theirs while this list is read, and it has
        # guessed no token wrong (a wrong page's thread would follow the wrong tokens).
        chaining = threading.Event()
        chaining.set()

        def page_after(answer: tuple[int, bytes]) -> None:
            if chaining.is_set():
                self._chain(
                    answer, page_after, lambda t: self._page_path(res, namespace, selector, t)
                )

        try:
            # Imported, and the page's decoder built, while the first page travels (typed is
            # read only once a list is).
            from kpath.cluster.typed import STRUCT_KINDS

            if structs:
                _typed_page(res.kind)
            while True:
                assert pending is not None
                path = pending.path
                status, body = pending.result()
                pending = None
                ahead = _next_token(body) if status == 200 else None
                if ahead is not None:
                    pending = self._fetch(
                        self._page_path(res, namespace, selector, ahead), page_after
                    )
                else:  # this list's last page (probably): the next list may start
                    self._start_after(first)
                if status == 410 and token and not restarted:
                    # The continue token expired (the server compacted): list again from
                    # the start.
                    done, token, restarted = [], None, True
                    pending = self._fetch(self._page_path(res, namespace, selector, None))
                    continue
                if status != 200:
                    self._fail(res, status, body, selector)
                page = None if not structs else _decode_structs(body, res.kind)
                if page is None:
                    page = _decode(body, self.target.server, path)
                del body  # a page's bytes go as soon as it is decoded
                if token is None:
                    version = list_version(page)
                items = _items(page, self.target.server, path, STRUCT_KINDS)
                for item in items:
                    # List items carry no kind/apiVersion on a real server; kubectl adds
                    # them too (a Struct's kind is its type; its parser adds them when it
                    # hands the object to the dict parser).
                    if type(item) is dict:
                        item.setdefault("kind", res.kind)
                        item.setdefault("apiVersion", res.group_version)
                token = (page.get("metadata") or {}).get("continue") or None
                del page
                done.append(each(items))
                del items
                if not token:
                    self._settle(pending)  # a token guessed where the page had none
                    if version is not None:
                        scope = namespace if res.namespaced else None
                        self.versions.setdefault((res.kind, scope), version)
                    return done
                if pending is None or token != ahead:  # the head read otherwise than the page
                    if pending is not None:
                        chaining.clear()
                    self._settle(pending)
                    pending = self._fetch(
                        self._page_path(res, namespace, selector, token), page_after
                    )
        except Exception:
            # The list failed: the page under way is waited for, not read (Ctrl+C does not
            # wait: its thread ends with the process).
            self._settle(pending)
            raise
        finally:
            chaining.clear()

    def _page_path(
        self, res: Resource, namespace: str | None, selector: str | None, token: str | None
    ) -> str:
        query: list[tuple[str, str]] = [("limit", str(self.page_size))]
        if selector:
            query.append(("labelSelector", selector))
        if token:
            query.append(("continue", token))
        return f"{res.path(namespace)}?{urlencode(query)}"

    def first_page(self, res: Resource, namespace: str | None, selector: str | None) -> str:
        """The path of a list's first page."""
        return self._page_path(res, namespace, selector, None)

    def plan(self, paths: Iterable[str]) -> None:
        """The requests about to be made, in order: each is made early, as soon as the list
        before it has its last page (`pages`). Only requests made anyway are planned."""
        self._planned = builtins.list(paths)

    def _start_after(self, path: str) -> None:
        if path in self._planned:
            after = self._planned.index(path) + 1
            self._planned[:after] = []  # each planned request is made early at most once
            with self._lock:
                if self._planned and self._planned[0] not in self._early:
                    self._early[self._planned[0]] = _Pending(self._get, self._planned[0])

    def _fetch(
        self, path: str, then: Callable[[tuple[int, bytes]], None] | None = None
    ) -> _Pending:
        with self._lock:
            early = self._early.pop(path, None)
        return early if early is not None else _Pending(self._get, path, then)

    def _chain(
        self,
        answer: tuple[int, bytes],
        then: Callable[[tuple[int, bytes]], None],
        page: Callable[[str], str],
    ) -> None:
        """In a page's thread, once it is in: ask for the page after it (``page`` of its
        guessed token; ``then`` in its own thread) without waiting for the reader to take
        this one, so pages keep travelling while the reader decodes, at most `CHAINED` of
        them not taken yet, and none once the reader is closed."""
        status, body = answer
        ahead = _next_token(body) if status == 200 else None
        if ahead is None:
            return
        path = page(ahead)
        with self._lock:
            if self._closed or self._chained >= CHAINED or path in self._early:
                return
            self._chained += 1
            self._early[path] = _Pending(self._get, path, then, self._took_chained)

    def _took_chained(self) -> None:
        with self._lock:
            self._chained -= 1

    def _settle(self, pending: _Pending | None) -> None:
        """Wait for a page asked for ahead that is not needed after all (its answer, or
        its failure, is dropped: the list already said what it had to)."""
        if pending is not None:
            with suppress(Exception):
                pending.result()

    def groups(self) -> dict[str, dict[str, Any]]:
        """The API groups the server serves (``GET /apis``), by name; empty on a 404."""
        path = GROUPS_PATH
        status, body = self._fetch(path).result()
        if status == 404:
            return {}
        if status != 200:
            self._discovery_failed(status, body, path)
        listed = _decode(body, self.target.server, path).get("groups")
        return (
            {g["name"]: g for g in listed if isinstance(g, dict) and isinstance(g.get("name"), str)}
            if isinstance(listed, list)
            else {}
        )

    def discover(
        self, group: str, kinds: Iterable[str], doc: dict[str, Any] | None = None
    ) -> dict[str, Resource]:
        """kind -> the resource at the most preferred version of ``group`` that serves it,
        for the ``kinds`` wanted; empty when the server does not serve the group (404).
        ``doc``: the group's APIGroup when already known (from `groups`), sparing a GET."""
        wanted = set(kinds)
        if doc is None:
            path = f"/apis/{group}"
            status, body = self._get(path)
            if status == 404:
                return {}
            if status != 200:
                self._discovery_failed(status, body, path)
            doc = _decode(body, self.target.server, path)
        found: dict[str, Resource] = {}
        for version in preferred_versions(doc):
            if wanted <= found.keys():
                break  # every kind placed: the other versions need no request
            gv_path = f"/apis/{group}/{quote(version, safe='')}"
            status, body = self._get(gv_path)
            if status == 404:
                continue  # the version went away between the two requests
            if status != 200:
                self._discovery_failed(status, body, gv_path)
            listing = _decode(body, self.target.server, gv_path)
            for res in served_resources(listing, f"{group}/{version}"):
                if res.kind in wanted and res.kind not in found:
                    found[res.kind] = res
        return found

    def _discovery_failed(self, status: int, body: bytes, path: str) -> None:
        message = status_message(body, self.target.redact)
        if status == 401:
            raise SourceError(
                f"the API server at {self.target.server} rejected the "
                f"credentials of {self.target.origin.split(' @ ')[0]} "
                "(401 Unauthorized)"
            )
        if status == 403:
            raise NotVisible(f"forbidden: {message or 'HTTP 403'} (discovery of {path})")
        raise SourceError(
            f"the API server at {self.target.server} answered {status} to "
            f"{path}" + (f": {message}" if message else "")
        )

    def _get(self, path: str) -> tuple[int, bytes]:
        server = self.target.server
        try:
            return self.http.get(path)
        except _RefreshFailed as exc:
            raise SourceError(
                f"{self.target.origin}: cannot refresh credentials: "
                f"{one_line(self.target.redact(str(exc)))}"
            ) from None
        except (_ClientError, urllib3.exceptions.HTTPError, OSError) as exc:
            cause = exc.cause if isinstance(exc, _ClientError) else exc
            reason = self.target.redact(unreachable_reason(cause, self.timeout))
            raise SourceError(f"cannot reach the API server at {server}: {reason}") from None

    def _fail(self, res: Resource, status: int, body: bytes, selector: str | None) -> None:
        # The server's words may echo the request's credentials: redacted before anything
        # shows (or truncates) them.
        message = status_message(body, self.target.redact)
        where = self.target.server
        if status == 401:
            raise SourceError(
                f"the API server at {where} rejected the credentials of "
                f"{self.target.origin.split(' @ ')[0]} (401 Unauthorized)"
            )
        if status in (403, 404):
            self.refused[res.kind] = status
        if status == 403:
            raise NotVisible(f"forbidden: {message or 'HTTP 403'}")
        if status == 404:
            raise NotVisible(
                f"not served by this API server ({res.group_version} "
                f"{res.plural}): {message or 'HTTP 404'}"
            )
        if status == 400 and selector:
            raise InputError(
                f"label selector {selector!r} rejected by the API server: {message or 'HTTP 400'}"
            )
        raise SourceError(
            f"the API server at {where} answered {status} listing {res.plural}"
            + (f": {message}" if message else "")
        )


def list_version(page: dict[str, Any]) -> str | None:
    """A list page's ``metadata.resourceVersion`` (None when it has none)."""
    meta = page.get("metadata")
    rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
    return rv if isinstance(rv, str) and rv else None


def preferred_versions(group: Any) -> list[str]:
    """An APIGroup's versions, the preferred one first, then in the server's order."""
    if not isinstance(group, dict):
        return []
    listed = [v.get("version") for v in group.get("versions") or [] if isinstance(v, dict)]
    preferred = (
        (group.get("preferredVersion") or {})
        if isinstance(group.get("preferredVersion"), dict)
        else {}
    )
    order = [preferred.get("version"), *listed]
    out: list[str] = []
    for v in order:
        if isinstance(v, str) and v and v not in out:
            out.append(v)
    return out


def served_resources(listing: Any, group_version: str) -> list[Resource]:
    """The listable resources of an APIResourceList (subresources such as gateways/status
    left out)."""
    out = []
    for r in (listing.get("resources") or []) if isinstance(listing, dict) else []:
        if not isinstance(r, dict):
            continue
        name, kind = r.get("name"), r.get("kind")
        verbs = r.get("verbs")
        if (
            isinstance(name, str)
            and name
            and "/" not in name
            and isinstance(kind, str)
            and (not isinstance(verbs, list) or "list" in verbs)
        ):
            out.append(Resource(kind, group_version, name, r.get("namespaced") is not False))
    return out


def _decode(body: bytes, server: str, path: str) -> dict[str, Any]:
    # A page of a kind routing reads (pods, services, …) is decoded typed, into the fields
    # kpath reads (`kpath.cluster.typed`: msgspec skips the rest in C, several times faster
    # and smaller); anything else, or anything msgspec reads differently, with json.loads.
    from kpath.cluster.typed import decode_page

    try:
        with paused_gc():  # most of json.loads' time on big lists is the cyclic GC (§4)
            typed = decode_page(body)
            page = json.loads(body) if typed is None else typed
    except (ValueError, UnicodeDecodeError):
        raise SourceError(
            f"the API server at {server} sent a reply that is not JSON for {path.split('?')[0]}"
        ) from None
    if not isinstance(page, dict):
        raise SourceError(
            f"the API server at {server} sent an unexpected reply for {path.split('?')[0]}"
        )
    return page


def _decode_structs(body: bytes, kind: str) -> dict[str, Any] | None:
    """A page of ``kind``'s list with its items as typed Structs (`typed.decode_items`, as
    a dump's are read: records are then made from them straight, `parse_typed`); None
    when it is not such a page (an error, another kind's list, not JSON): `_decode` then
    reads it, and says what is wrong."""
    import msgspec

    from kpath.cluster.typed import decode_items

    whole = _typed_page(kind)
    if whole is not None:
        # Every item at once (one pass over the bytes, not two: the envelope's, then each
        # item's); a page it refuses anywhere is read the slower way, item by item, which
        # gives the same Structs for the items this would have read.
        try:
            typed = whole.decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            pass
        else:
            if typed.kind != kind + "List" or typed.items is None:
                return None
            return {"kind": typed.kind, "metadata": typed.metadata, "items": typed.items}
    try:
        page = _envelope().decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if page.kind != kind + "List" or page.items is None:
        return None
    try:
        items = decode_items(page.items, kind, structs=True)
    except msgspec.DecodeError:  # not JSON after all (bad UTF-8 in a field read): `_decode`'s
        return None
    return {"kind": page.kind, "metadata": page.metadata, "items": items}


@functools.cache
def _typed_page(kind: str) -> Any:
    """A decoder of a page of ``kind``'s list, every item its Struct (`typed.kind_struct`,
    the one `typed.decode_items` reads each item with); None for a kind without one."""
    import msgspec

    from kpath.cluster.typed import SHAPES, kind_struct

    if kind not in SHAPES:
        return None
    fields: list[tuple[str, Any, Any]] = [("kind", Any, None), ("metadata", Any, None)]
    fields.append(("items", list[kind_struct(kind)] | None, None))  # type: ignore[misc]
    return msgspec.json.Decoder(msgspec.defstruct(kind + "Page", fields, gc=False))


@functools.cache
def _envelope() -> Any:
    """A list page's kind and metadata, its items undecoded (``msgspec.Raw``)."""
    import msgspec

    fields: list[tuple[str, Any, Any]] = [("kind", Any, None), ("metadata", Any, None)]
    fields.append(("items", list[msgspec.Raw] | None, None))
    return msgspec.json.Decoder(msgspec.defstruct("Envelope", fields, gc=False))


def _items(
    page: dict[str, Any], server: str, path: str, structs: Container[type]
) -> list[RawObject]:
    """A page's items: dicts, and the typed Structs of ``structs``' types
    (`_decode_structs`)."""
    items = page.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise SourceError(
            f"the API server at {server} sent a list without items for {path.split('?')[0]}"
        )
    return [i for i in items if isinstance(i, dict) or type(i) in structs]


def status_message(body: bytes, redact: Callable[[str], str] = str) -> str:
    """The ``message`` of a Kubernetes Status reply, as one line ("" when there is none).

    ``redact`` takes the credentials out first, so a cut never leaves half a token.
    """
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return one_line(redact(body[:_BODY_SEEN].decode("utf-8", "replace"))[:200])
    message = doc.get("message") if isinstance(doc, dict) else None
    return one_line(redact(str(message))) if message else ""


_BODY_SEEN = 64 * 1024  # of an error page that is not a Status; 200 characters are shown


def unreachable_reason(exc: BaseException, timeout: float) -> str:
    """Why a request never got an HTTP answer, in a few words, from the exception chain."""
    import errno
    import socket
    import ssl

    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else (seen.__cause__ or seen.__context__)

    def first(*types: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, types)), None)

    # Most specific first: urllib3 wraps the ssl module's error, and calls a refused
    # connection a kind of timeout.
    if (e := first(ssl.SSLCertVerificationError)) is not None:
        verify = getattr(e, "verify_message", None)
        return f"TLS failure: certificate verify failed{f': {verify}' if verify else ''}"
    if (e := first(ssl.SSLError)) is not None:
        return f"TLS failure: {getattr(e, 'reason', None) or one_line(str(e))}"
    if (e := first(urllib3.exceptions.SSLError)) is not None:
        return f"TLS failure: {one_line(str(e))}"
    if first(ConnectionRefusedError) or any(
        getattr(e, "errno", None) == errno.ECONNREFUSED for e in chain
    ):
        return "connection refused"
    if first(socket.gaierror, urllib3.exceptions.NameResolutionError):
        return "cannot resolve the host name"
    if first(ConnectionResetError):
        return "connection reset"
    timeouts = (TimeoutError, urllib3.exceptions.TimeoutError)
    if any(
        isinstance(e, timeouts) and not isinstance(e, urllib3.exceptions.NewConnectionError)
        for e in chain
    ):
        return f"no answer within {timeout:g}s"
    if first(urllib3.exceptions.ProtocolError):
        return "the connection closed before a reply"
    last = chain[-1]
    return one_line(str(last)) or type(last).__name__
