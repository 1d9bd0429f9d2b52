"""What to probe along every path, and what kube-proxy's rules predict each probe will see. Pure.

Each path is walked hop by hop:

- **entry**: the load-balancer address or hostname, an externalIP, the ClusterIP (internal:
  from outside a failure proves nothing), or an Ingress rule at the controller's published
  address, with the rule's Host header (and TLS SNI for TLS hosts);
- **node**: each node group's NodePort on one sample node (every node with ``all_nodes``);
- **health**: for ``externalTrafficPolicy: Local``, ``healthCheckNodePort/healthz`` on the same
  nodes (200 only where a *ready* local endpoint exists, as kube-proxy counts: what the cloud
  load balancer sees);
- **pod**: each endpoint the path can reach, by pod IP (the prober falls back to the API
  server's ``pods/NAME:PORT/proxy`` when pod IPs do not answer from here).

An Ingress controller's own Service is a way in of its own, and its pods are proxies: a
request without a Host any rule names (the probe's ``GET /`` at a bare address) goes to what
the controller serves for a Host-less ``/`` (a host-less rule, else an Ingress
``defaultBackend``), and only when nothing matches does the controller answer itself. Its
entry, node and pod hops keep kube-proxy's prediction (which nodes forward or drop, which
controller pods are chosen) and also accept those backend pods naming themselves
(``proxied_pods``): such an answer confirms that the controller pod was reached and
forwarded, not which controller pod it was.

A Gateway way in (one listener, route rule and backend) is probed at the Gateway's
``status.addresses`` on the listener port with the request that rule wins (Host, SNI, path,
headers, method, query; `kpath.probe.gatewayplan`), predicted by kpath's own Gateway routing:
the rule's backends' pods (one probe per rule, whichever backend the weights pick), the
gateway's own 500/503/404 or redirect. Once per listener a path no rule matches is sent, to
see its 404. The gateway's own answers name no pod or one of its proxy pods
(``gateway_pods``); they are judged by status and Location. The gateway's own Service is
probed on its own paths, as any Service (a Host-less ``GET /`` there may be answered by the
backends a rule without hostnames serves, as for an Ingress controller).

Probes of the same address, port and request are made once and referenced by every hop that
needs them (a LoadBalancer and its NodePort share the node hops). UDP and SCTP ports are
listed as not probed, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from kpath.cluster.records import ObjectKey, ServicePort
from kpath.cluster.snapshot import Snapshot
from kpath.probe.expect import Expect
from kpath.probe.gatewayplan import (
    NOT_FOUND,
    GatewayRequest,
    Prediction,
    answer_of,
    no_route_request,
    predict,
    rule_request,
)
from kpath.routing.gateway.attach import GatewayTable, attach
from kpath.routing.ingress import IngressRoute, hostless_routes, ingress_routes
from kpath.routing.kubeproxy import Choice, Target, Verdict, has_ready
from kpath.routing.nodegroups import NodeGroup
from kpath.routing.paths import EntryKind, GatewayHop, Path, pods_direct
from kpath.routing.requests import Outcome as RequestOutcome
from kpath.routing.targets import service_targets


class HopKind(StrEnum):
    ENTRY = "entry"
    NODE = "node"
    HEALTH = "health"
    POD = "pod"


#: Verdict → what a client sees.
SEEN_AS = {
    Verdict.FORWARD: Expect.ANSWER,
    Verdict.DROP: Expect.SILENT,
    Verdict.REJECT: Expect.REFUSED,
    Verdict.UNKNOWN: Expect.UNKNOWN,
    Verdict.REDIRECT: Expect.REDIRECT,
}

#: Ports whose number alone says HTTP or HTTPS (when name and appProtocol say nothing).
HTTP_PORTS = frozenset({80, 3000, 5000, 8000, 8008, 8080, 8081, 8888, 9080, 9090})
HTTPS_PORTS = frozenset({443, 6443, 8443, 9443})

#: Protocol words (an appProtocol, or the head of a port name as in Istio's convention
#: ``<protocol>[-<suffix>]``) and the probe each gets. Anything else that is named is not
#: known to speak HTTP: a TCP connect probe.
PROTOCOL_SCHEME = {
    "http": "http",
    "http2": "http",
    "h2c": "http",
    "ws": "http",
    "grpc-web": "http",
    "https": "https",
    "wss": "https",
    # Known not to answer an HTTP/1.1 GET: grpc needs HTTP/2 framing; the rest are not HTTP.
    "grpc": "tcp",
    "tcp": "tcp",
    "tls": "tcp",
    "udp": "tcp",
    "sctp": "tcp",
    "mongo": "tcp",
    "mysql": "tcp",
    "redis": "tcp",
    "postgres": "tcp",
    "postgresql": "tcp",
    "amqp": "tcp",
    "kafka": "tcp",
    "dns": "tcp",
    "smtp": "tcp",
    "ssh": "tcp",
    "ldap": "tcp",
    "nats": "tcp",
}
_NAME_WORDS = {**PROTOCOL_SCHEME, "web": "http"}  # "web": the common name of an HTTP port


class HopRef(NamedTuple):
    """Where a probe's result belongs: a hop of one of the plan's paths."""

    path: int  # index into ProbePlan.paths
    hop: HopKind
    group: int | None = None  # index into the path's groups (node, health and pod hops)
    endpoint: str | None = None  # "ip:port" (pod hops)


class ProbeTarget(NamedTuple):
    """One thing to try, and what the prediction says it will show."""

    hop: HopKind
    scheme: str  # "tcp", "http", "https"
    host: str  # address or hostname to connect to
    port: int
    path: str  # the HTTP request path
    host_header: str | None  # an Ingress rule's host
    sni: str | None  # TLS server name (an Ingress TLS host)
    node: str | None  # the node the probe enters at (node and health hops)
    pod: ObjectKey | None  # the pod behind the address (pod hops)
    expect: frozenset[Expect]  # any of these confirms the prediction
    expected_pods: frozenset[str]  # "ns/name" that may answer; empty: not known
    internal: bool  # an in-cluster address: a failure from outside proves nothing
    via_controller: bool  # an Ingress: the controller answers errors itself
    repeat: int  # probes to make (fresh connections sample the spread of pods)
    refs: tuple[HopRef, ...]
    #: Pods a proxy at this hop may forward to and that then answer for it: the backends an
    #: Ingress controller serves for a Host-less ``/`` (its own Service and pods). Their
    #: answer is expected and confirms the proxy was reached; it says nothing of which
    #: proxy pod kube-proxy chose (nor where it runs).
    proxied_pods: frozenset[str] = frozenset()
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()  # sent as given (a Gateway rule's header match)
    #: A Gateway's own answers, judged by status: the statuses it may give (404, 500, 503,
    #: a redirect's code); empty: any.
    statuses: frozenset[int] = frozenset()
    location: str | None = None  # the redirect's predicted Location
    gateway: bool = False  # sent at a Gateway listener (its own 404/5xx/3xx are judged)
    #: The gateway's own proxy pods: an answer that names one is the gateway's own (a 404,
    #: a 500, a redirect), not a backend's (kpath's lab names them; most gateways name none).
    gateway_pods: frozenset[str] = frozenset()
    #: Why NetworkPolicy changed the prediction ("blocked by policy ns/name"), else "".
    policy: str = ""

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.scheme in ("tcp", "tls"):
            return f"{self.scheme}://{host}:{self.port}"
        return f"{self.scheme}://{host}:{self.port}{self.path}"

    def label(self) -> str:
        """The probe in words: the URL, and the Host header when it differs."""
        head = f"{self.method} " if self.method != "GET" else ""
        extra = f" (Host: {self.host_header})" if self.host_header else ""
        if self.sni and self.sni != self.host_header:
            extra += f" (SNI: {self.sni})"
        extra += "".join(f" ({k}: {v})" for k, v in self.headers)
        return head + self.url + extra


class NotProbed(NamedTuple):
    path: int
    what: str
    reason: str


@dataclass(frozen=True)
class PlanOptions:
    all_nodes: bool = False  # every node of each group, not one sample
    http: bool = False  # treat every TCP port as HTTP
    samples: int = 3  # probes per entry or node hop where several pods may answer


@dataclass(frozen=True)
class ProbePlan:
    paths: tuple[Path, ...]
    targets: tuple[ProbeTarget, ...]
    not_probed: tuple[NotProbed, ...]
    pod_nodes: Mapping[str, str | None]  # "ns/name" → node, for pods the paths can reach

    @property
    def probe_count(self) -> int:
        return sum(t.repeat for t in self.targets)


# --------------------------------------------------------------------------- pure helpers
def app_protocol_scheme(app: str | None) -> str | None:
    """The probe an appProtocol asks for: ``kubernetes.io/h2c`` → http; an unknown one → tcp."""
    if not app:
        return None
    word = app.lower().rsplit("/", 1)[-1]  # "kubernetes.io/wss", "example.com/http"
    return PROTOCOL_SCHEME.get(word, "tcp")


def name_scheme(name: str | None) -> str | None:
    """The probe a port's name asks for (``http``, ``https-api``, ``tcp-redis``, ``grpc``,
    ``metrics-http``); None when the name says nothing known."""
    if not name:
        return None
    word = name.lower()
    if word in _NAME_WORDS:
        return _NAME_WORDS[word]
    if word.startswith("grpc-web"):
        return "http"
    head = word.partition("-")[0]
    if head in _NAME_WORDS:
        return _NAME_WORDS[head]  # Istio's <protocol>-<suffix>
    last = word.rsplit("-", 1)[-1]
    if last in ("http", "https"):
        return last  # "metrics-http"
    return None


def number_scheme(number: int) -> str | None:
    """The probe a well-known port number asks for, when nothing else says."""
    if number in HTTPS_PORTS:
        return "https"
    if number in HTTP_PORTS:
        return "http"
    return None


def port_scheme(port: ServicePort | None, force_http: bool = False) -> str:
    """``http``, ``https`` or ``tcp``: from appProtocol, then the port's name (and a named
    targetPort), then its number; a TCP connect probe where HTTP is not known. ``force_http``
    (``--http``) makes every port not known to be HTTPS an HTTP probe."""
    if port is None:
        return "http" if force_http else "tcp"
    target_name = port.target_port if isinstance(port.target_port, str) else None
    scheme = (
        app_protocol_scheme(port.app_protocol)
        or name_scheme(port.name)
        or name_scheme(target_name)
        or number_scheme(port.port)
        or "tcp"
    )
    if force_http and scheme == "tcp":
        return "http"
    return scheme


def ingress_request_path(path: str | None, path_type: str | None) -> str:
    """A request path an Ingress rule matches: the rule's path, without regex or globs."""
    if not path:
        return "/"
    if path_type == "ImplementationSpecific":
        for i, ch in enumerate(path):
            if ch in "*(^$[{|+?\\":
                path = path[:i]
                break
    path = path if path.startswith("/") else "/" + path
    return path or "/"


def ingress_host(host: str | None) -> str | None:
    """A host name the rule matches: a wildcard rule gets a label of kpath's own."""
    if host and host.startswith("*."):
        return "kpath-probe." + host[2:]
    return host


def _pod_name(t: Target) -> str | None:
    return str(t.pod) if t.pod is not None else None


def _pods_of(choices: Iterable[Choice]) -> frozenset[str]:
    return frozenset(n for c in choices for t in c.targets if (n := _pod_name(t)) is not None)


def _repeat(pods: frozenset[str], expect: frozenset[Expect], samples: int) -> int:
    if expect != {Expect.ANSWER}:
        return 1
    return max(1, min(samples, len(pods) or 1))


def health_expect(g: NodeGroup) -> Expect:
    """healthCheckNodePort as kube-proxy answers it: 200 only where the node has a *ready*
    local endpoint. A node whose local pods are all terminating answers 503 (that is how a
    load balancer drains it) while its NodePort still forwards to them (the serving and
    terminating fallback)."""
    return Expect.HEALTHY if has_ready(g.choice) else Expect.UNHEALTHY


def entry_expect(p: Path) -> frozenset[Expect]:
    """What the entry address shows, from the verdicts behind it."""
    verdicts = p.verdicts() or {Verdict.REJECT}
    if p.entry.kind == EntryKind.LOAD_BALANCER and Verdict.FORWARD in verdicts:
        if (
            p.policy == "Local"
            and p.direct is None
            and not any(has_ready(g.choice) for g in p.groups)
        ):
            # Every node's health check fails (only terminating pods): load balancers differ,
            # some send to all nodes anyway, others to none.
            return frozenset({Expect.ANSWER, Expect.REFUSED})
        # The load balancer sends only to nodes that pass its health check (Local policy) or
        # to every node, which all forward (Cluster policy): some pod answers.
        verdicts = {Verdict.FORWARD}
    expect = frozenset(SEEN_AS[v] for v in verdicts)
    if p.entry.kind == EntryKind.LOAD_BALANCER and Expect.REFUSED in expect:
        expect |= {Expect.CLOSED}  # a proxying load balancer accepts before it finds no node
    return expect


# --------------------------------------------------------------------------- the planner
class _Builder:
    """Collects targets, merging identical probes and keeping every hop that uses them."""

    def __init__(self) -> None:
        self.targets: dict[tuple[object, ...], ProbeTarget] = {}
        self.refs: dict[tuple[object, ...], list[HopRef]] = {}
        self.skipped: list[NotProbed] = []

    def add(self, target: ProbeTarget, ref: HopRef) -> None:
        key = (
            target.hop,
            target.scheme,
            target.host,
            target.port,
            target.path,
            target.host_header,
            target.sni,
            target.node,
            target.expect,
            target.expected_pods,
            target.proxied_pods,
            target.method,
            target.headers,
            target.statuses,
            target.location,
            target.gateway_pods,
            target.policy,
        )
        if key not in self.targets:
            self.targets[key] = target
            self.refs[key] = []
        if ref not in self.refs[key]:
            self.refs[key].append(ref)

    def skip(self, path: int, what: str, reason: str) -> None:
        self.skipped.append(NotProbed(path, what, reason))

    def finish(self) -> tuple[tuple[ProbeTarget, ...], tuple[NotProbed, ...]]:
        out = tuple(t._replace(refs=tuple(self.refs[k])) for k, t in self.targets.items())
        return out, tuple(self.skipped)


def plan_probes(
    snapshot: Snapshot,
    paths: Iterable[Path],
    options: PlanOptions,
    context: Iterable[Path] | None = None,
) -> ProbePlan:
    """Every probe for ``paths``, each with the prediction it tests.

    ``context``: every path of the analysis (default: ``paths``). A Gateway rule's answer
    depends on all its backends and on every rule of its listener, chosen or not.
    """
    chosen = tuple(paths)
    gw = _GatewayContext.of(snapshot, chosen if context is None else tuple(context))
    b = _Builder()
    pod_nodes: dict[str, str | None] = {}
    proxied = controller_backend_pods(snapshot)
    for svc, pods in gw.infra_pods.items():
        proxied[svc] = proxied.get(svc, frozenset()) | pods
    for i, p in enumerate(chosen):
        for c in _choices(p):
            for t in c.targets:
                if t.pod is not None:
                    pod_nodes[str(t.pod)] = t.node
        if p.entry.kind == EntryKind.GATEWAY and p.entry.gateway is not None:
            _plan_gateway_path(snapshot, i, p, options, b, gw)
            continue
        _plan_path(snapshot, i, p, options, b, proxied.get(p.service, frozenset()))
    targets, skipped = b.finish()
    return ProbePlan(chosen, targets, skipped, pod_nodes)


def route_backend_pods(snapshot: Snapshot, route: IngressRoute) -> frozenset[str]:
    """The pods an Ingress controller sends a route's requests to: the backend Service's
    usable endpoints, by pod IP (no kube-proxy), as routing's Ingress paths choose them."""
    if route.backend_service is None or route.backend_port is None or route.problem:
        return frozenset()  # the controller answers an error itself
    targets = service_targets(
        snapshot, snapshot.service_slices(route.backend_service), route.backend_port
    )
    return _pods_of([pods_direct(targets)])


def controller_backend_pods(snapshot: Snapshot) -> dict[ObjectKey, frozenset[str]]:
    """Controller Service → the backend pods its pods forward a Host-less ``GET /`` to
    (empty: nothing matches, the controller answers itself)."""
    routes = list(ingress_routes(snapshot))
    services = {
        r.controller.service
        for r in routes
        if r.controller.kind == "service" and r.controller.service is not None
    }
    return {
        svc: frozenset(
            pod for r in hostless_routes(routes, svc) for pod in route_backend_pods(snapshot, r)
        )
        for svc in services
    }


def _choices(p: Path) -> list[Choice]:
    return [p.direct] if p.direct is not None else [g.choice for g in p.groups]


def _plan_path(
    snapshot: Snapshot, i: int, p: Path, options: PlanOptions, b: _Builder, proxied: frozenset[str]
) -> None:
    entry = p.entry
    if entry.kind == EntryKind.EXTERNAL_NAME:
        b.skip(i, entry.label(), "ExternalName: a DNS alias outside the cluster, no hop to probe")
        return
    if p.port is not None and p.port.protocol != "TCP":
        b.skip(
            i,
            entry.label(),
            f"{p.port.protocol}: no handshake to observe, a silent port "
            "and a dropped packet look the same",
        )
        return
    scheme = port_scheme(p.port, options.http)
    if entry.kind == EntryKind.INGRESS:
        proxied = frozenset()  # p.service is the route's backend: its pods answer themselves
    _plan_entry(snapshot, i, p, scheme, options, b, proxied)
    if (
        p.groups
        and p.port is not None
        and p.port.node_port
        and entry.kind in (EntryKind.LOAD_BALANCER, EntryKind.NODE_PORT, EntryKind.INGRESS)
    ):
        _plan_nodes(snapshot, i, p, scheme, options, b, proxied)
    _plan_pods(snapshot, i, p, scheme, b, proxied)


def _plan_entry(
    snapshot: Snapshot,
    i: int,
    p: Path,
    scheme: str,
    options: PlanOptions,
    b: _Builder,
    proxied: frozenset[str],
) -> None:
    entry = p.entry
    if entry.kind in (EntryKind.NODE_PORT, EntryKind.HEADLESS):
        return  # the node hops are the entry; a headless service is its pods
    what = entry.label()
    if entry.pending:
        b.skip(i, what, "the LoadBalancer has no address yet (<pending>)")
        return
    if entry.port is None:
        return
    route = entry.ingress
    addresses = entry.addresses
    if route is not None and not addresses and route.controller.service is not None:
        ctrl = snapshot.services.get(route.controller.service)
        if ctrl is not None:
            addresses = tuple(a for a in (x.address for x in ctrl.load_balancer_ingress) if a)
    if not addresses:
        b.skip(i, what, "no address published for this entry")
        return
    from kpath.probe import policyexpect

    expect, policy = policyexpect.entry_expect(
        entry_expect(p), p, proxied=route is not None or entry.gateway is not None
    )
    pods = _pods_of(_choices(p))
    internal = entry.kind in (EntryKind.CLUSTER_IP,)
    if route is not None:
        path = ingress_request_path(route.path, route.path_type)
        host = ingress_host(route.host)
        scheme = "https" if route.tls else "http"
        sni = host if route.tls else None
    else:
        path, host, sni = "/", None, None
    if route is not None:
        # The controller speaks HTTP itself: for a backend it cannot send to, its own error.
        expect = frozenset(Expect.BACKEND_ERROR if e == Expect.REFUSED else e for e in expect)
    for address in addresses:
        b.add(
            ProbeTarget(
                HopKind.ENTRY,
                scheme,
                address,
                entry.port,
                path,
                host,
                sni,
                None,
                None,
                expect,
                pods,
                internal,
                route is not None,
                _repeat(pods, expect, options.samples),
                (),
                proxied,
                policy=policy,
            ),
            HopRef(i, HopKind.ENTRY),
        )


def _plan_nodes(
    snapshot: Snapshot,
    i: int,
    p: Path,
    scheme: str,
    options: PlanOptions,
    b: _Builder,
    proxied: frozenset[str],
) -> None:
    from kpath.probe import policyexpect

    assert p.port is not None and p.port.node_port is not None
    svc = snapshot.services.get(p.service)
    health = svc.health_check_node_port if svc and p.policy == "Local" else None
    for gi, g in enumerate(p.groups):
        names = list(g.nodes) if options.all_nodes else _sample(snapshot, g.nodes)
        if not names:
            b.skip(
                i,
                f"NodePort {p.port.node_port} on {g.label()}",
                "no node address known for these nodes",
            )
            continue
        # A node kpath knows is NotReady: its kube-proxy may be stopped or stale, so no
        # prediction is made there (what a probe sees is shown, never called a contradiction).
        expect = frozenset({Expect.UNKNOWN if g.ready is False else SEEN_AS[g.choice.verdict]})
        hp = p.netpol.groups[gi] if p.netpol is not None and gi < len(p.netpol.groups) else None
        expect, policy = policyexpect.hop_expect(expect, hp)
        pods = _pods_of([g.choice])
        for name in names:
            node = snapshot.nodes.get(name)
            address = node.ip if node is not None else None
            if address is None:
                b.skip(i, f"NodePort {p.port.node_port} on {name}", "the node has no address")
                continue
            b.add(
                ProbeTarget(
                    HopKind.NODE,
                    scheme,
                    address,
                    p.port.node_port,
                    "/",
                    None,
                    None,
                    name,
                    None,
                    expect,
                    pods,
                    False,
                    False,
                    _repeat(pods, expect, options.samples),
                    (),
                    proxied,
                    policy=policy,
                ),
                HopRef(i, HopKind.NODE, gi),
            )
            if health:
                ok = Expect.UNKNOWN if g.ready is False else health_expect(g)
                b.add(
                    ProbeTarget(
                        HopKind.HEALTH,
                        "http",
                        address,
                        health,
                        "/healthz",
                        None,
                        None,
                        name,
                        None,
                        frozenset({ok}),
                        frozenset(),
                        False,
                        False,
                        1,
                        (),
                    ),
                    HopRef(i, HopKind.HEALTH, gi),
                )


def _sample(snapshot: Snapshot, nodes: Iterable[str]) -> list[str]:
    """One node of a group: the first whose address is known."""
    for name in nodes:
        node = snapshot.nodes.get(name)
        if node is not None and node.ip:
            return [name]
    return []


def _plan_pods(
    snapshot: Snapshot, i: int, p: Path, scheme: str, b: _Builder, proxied: frozenset[str]
) -> None:
    from kpath.probe import policyexpect

    seen: set[str] = set()  # endpoints skipped or planned: each skip said once
    refs: set[HopRef] = set()
    # A pod hop belongs to the node group it is drawn under (None: sent straight to pods);
    # the same endpoint under two groups is one probe referenced by both.
    grouped: list[tuple[int | None, Choice]] = (
        [(None, p.direct)] if p.direct is not None else list(enumerate(g.choice for g in p.groups))
    )
    for gi, c in grouped:
        for t in c.targets:
            if t.address is None or t.port is None:
                if t.endpoint not in seen:
                    b.skip(
                        i,
                        f"endpoint {t.endpoint}",
                        "address or port unknown (redacted or "
                        "a named targetPort no container exposes)",
                    )
                seen.add(t.endpoint)
                continue
            seen.add(t.endpoint)
            ref = HopRef(i, HopKind.POD, gi, t.endpoint)
            if ref in refs:
                continue
            refs.add(ref)
            pods = frozenset({str(t.pod)}) if t.pod is not None else frozenset()
            expect, policy = policyexpect.pod_expect(snapshot, p, t)
            b.add(
                ProbeTarget(
                    HopKind.POD,
                    scheme,
                    t.address,
                    t.port,
                    "/",
                    None,
                    None,
                    None,
                    t.pod,
                    expect,
                    pods,
                    False,
                    False,
                    1,
                    (),
                    proxied,
                    policy=policy,
                ),
                ref,
            )


# --------------------------------------------------------------------------- Gateway paths
@dataclass
class _GatewayContext:
    """What every Gateway path's plan reads: the Gateway table routing answers from, each
    listener's hostname, each gateway Service's proxy pods, and the backends a gateway's own
    Service serves for a Host-less ``GET /``."""

    snapshot: Snapshot
    table: GatewayTable
    hostnames: Mapping[tuple[ObjectKey, str], str | None]  # (Gateway, listener) → hostname
    infra_pods: Mapping[ObjectKey, frozenset[str]]  # backends for a Host-less GET /
    proxies: Mapping[ObjectKey, frozenset[str]]  # the gateway's own Service → its pods
    #: (Gateway, listener) whose 404 is planned: once per listener, on its first way in
    no_route_planned: set[tuple[ObjectKey, str]] = field(default_factory=set)
    #: (backend Service, port) → the pods the Gateway paths send it to
    backend_pods: Mapping[tuple[ObjectKey, int | None], frozenset[str]] = field(
        default_factory=dict
    )
    #: per rule (every backend of it has a way in): its request, routing's answer, why not
    rule_plans: dict[tuple[object, ...], tuple[GatewayRequest | None, Prediction | None, str]] = (
        field(default_factory=dict)
    )

    def rule_plan(self, hop: GatewayHop) -> tuple[GatewayRequest | None, Prediction | None, str]:
        """The request for a rule and its prediction, computed once per rule."""
        key = (hop.gateway, hop.listener, hop.route_kind, hop.route, hop.rule)
        if key not in self.rule_plans:
            req, answer, why = rule_request(self.snapshot, self.table, hop)
            pred = (
                None
                if req is None or answer is None
                else predict(self.snapshot, answer, req.scheme in ("tls", "tcp"), self.backend_pods)
            )
            self.rule_plans[key] = (req, pred, why)
        return self.rule_plans[key]

    @classmethod
    def of(cls, snapshot: Snapshot, paths: tuple[Path, ...]) -> _GatewayContext:
        hops = [
            p.entry.gateway
            for p in paths
            if p.entry.kind == EntryKind.GATEWAY and p.entry.gateway is not None
        ]
        if not hops:
            return cls(snapshot, GatewayTable((), {}, ()), {}, {}, {})
        backend_pods: dict[tuple[ObjectKey, int | None], frozenset[str]] = {}
        for p in paths:
            h = p.entry.gateway
            if (
                h is not None
                and h.backend is not None
                and not h.problem
                and p.direct
                and p.direct.verdict == Verdict.FORWARD
            ):
                backend_pods[(p.service, h.backend.port)] = _pods_of([p.direct])
        table = attach(snapshot)
        hostnames = {
            (lr.gateway.key, lr.ref.label()): lr.bound.listener.hostname for lr in table.listeners
        }
        proxies: dict[ObjectKey, frozenset[str]] = {}
        infra: dict[ObjectKey, set[str]] = {}
        for gw_key, svc_key in {(h.gateway, h.infra) for h in hops if h.infra is not None}:
            svc = snapshot.services.get(svc_key)
            if svc is None:
                continue
            slices = snapshot.service_slices(svc_key)
            proxies[svc_key] = frozenset(
                str(t.pod)
                for sp in svc.ports
                for t in service_targets(snapshot, slices, sp)
                if t.pod is not None
            )
            address = next(
                (a for a in (x.address for x in svc.load_balancer_ingress) if a), "0.0.0.0"
            )
            # A probe's bare GET / carries an address as its Host: what routing serves there.
            bare = GatewayRequest("http", None, "/", (), "GET", ())
            for sp in svc.ports:
                a = answer_of(snapshot, table, gw_key, sp.port, address, bare)
                if a is not None and a.outcome == RequestOutcome.FORWARD:
                    infra.setdefault(svc_key, set()).update(
                        predict(snapshot, a, False, backend_pods).pods
                    )
        return cls(
            snapshot,
            table,
            hostnames,
            {k: frozenset(v) for k, v in infra.items()},
            proxies,
            backend_pods=backend_pods,
        )


_KIND_EXPECT = {
    "answer": Expect.ANSWER,
    "backend-error": Expect.BACKEND_ERROR,
    "not-found": Expect.NOT_FOUND,
    "redirect": Expect.REDIRECT,
    "unknown": Expect.UNKNOWN,
    "closed": Expect.CLOSED,
    "refused": Expect.REFUSED,
}


def _gateway_target(
    req: GatewayRequest,
    host: str,
    port: int,
    expect: frozenset[Expect],
    pred: Prediction,
    samples: int,
    proxies: frozenset[str],
) -> ProbeTarget:
    """One request at a listener's address: an entry probe of a Gateway way in."""
    http = req.scheme in ("http", "https")
    pods = pred.pods if Expect.ANSWER in expect else frozenset()
    return ProbeTarget(
        HopKind.ENTRY,
        req.scheme,
        host,
        port,
        req.target,
        req.host if http else None,
        req.sni,
        None,
        None,
        expect,
        pods,
        False,
        http,
        _repeat(pods, expect, samples),
        (),
        frozenset(),
        req.method,
        req.headers,
        pred.statuses,
        pred.location,
        True,
        proxies,
    )


def _plan_gateway_path(
    snapshot: Snapshot, i: int, p: Path, options: PlanOptions, b: _Builder, gw: _GatewayContext
) -> None:
    """A Gateway way in: the listener at the Gateway's addresses with this rule's request
    (and, once per listener, a path no rule matches), then the backend's pods as for any
    Service. The gateway's own Service has paths of its own (its load balancer, NodePorts
    and proxy pods), probed as any Service's."""
    hop = p.entry.gateway
    assert hop is not None
    what = hop.label()
    proxies = gw.proxies.get(hop.infra, frozenset()) if hop.infra is not None else frozenset()
    req, pred, why = gw.rule_plan(hop)
    if req is None or pred is None:
        b.skip(i, what, why)
    else:
        if req.scheme == "tcp" and port_scheme(p.port, options.http) == "http":
            # A TCP listener splices bytes: an HTTP backend behind it answers an HTTP GET
            # sent through, and may name itself (a bare connect proves only the accept).
            req = req._replace(scheme="http")
        expect = frozenset(_KIND_EXPECT[k] for k in pred.kinds)
        addresses = hop.addresses or p.entry.addresses
        infra = snapshot.services.get(hop.infra) if hop.infra is not None else None
        if not addresses and infra is not None:
            addresses = tuple(a for a in (x.address for x in infra.load_balancer_ingress) if a)
        if not addresses:
            b.skip(i, what, "the Gateway has no address (status.addresses is empty)")
        for address in addresses:
            b.add(
                _gateway_target(req, address, hop.port, expect, pred, options.samples, proxies),
                HopRef(i, HopKind.ENTRY),
            )
        listener_host = gw.hostnames.get((hop.gateway, hop.listener))
        once = (hop.gateway, hop.listener)
        nf, nf_why = (
            (None, "")
            if once in gw.no_route_planned
            else no_route_request(snapshot, gw.table, hop, listener_host)
        )
        gw.no_route_planned.add(once)
        if nf is not None:
            for address in addresses:
                b.add(
                    _gateway_target(
                        nf, address, hop.port, frozenset({Expect.NOT_FOUND}), NOT_FOUND, 1, proxies
                    ),
                    HopRef(i, HopKind.ENTRY),
                )
        elif nf_why:
            b.skip(i, f"{what}: a path no rule matches", nf_why)
    # The backend's pods, as for any Service (the proxies send straight to them).
    if p.direct is not None:
        _plan_pods(
            snapshot, i, p._replace(groups=()), port_scheme(p.port, options.http), b, frozenset()
        )
