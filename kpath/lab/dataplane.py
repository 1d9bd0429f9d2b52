"""The lab's data plane: real sockets on 127.B.0.0/16 that forward as kube-proxy would.

- every pod is an HTTP echo server on ``podIP:containerPort`` (plain TCP echo on ports that
  are not HTTP), answering with who it is and which client address it saw; HTTPS ports (by
  appProtocol, name or the well-known numbers, `pod_port_protocol`) answer the same inside
  TLS, with one self-signed certificate per lab (as ingress-nginx's default certificate);
- a container's ``hostPort`` listens on its node's address and forwards to the pod keeping
  the client's address (TLS passes through); a hostNetwork pod's podIP is its node's
  address, so its ports are there; kube-proxy's NodePorts win a clash on a node;
- every node listens on every NodePort and forwards by ``externalTrafficPolicy`` (and keeps a
  client on its endpoint under ``sessionAffinity: ClientIP``): Cluster →
  any usable endpoint, connecting from the node's own address (the SNAT: the pod sees the
  node); Local → endpoints on this node only, connecting from the client's address; a Local
  node without a local endpoint is a black hole: its listener switches to a socket whose
  accept queue is full and never drained, so the kernel drops the client's SYN and even a
  bare TCP connect times out (`SilentPort`); a service with no usable endpoint at all resets
  the connection at once (a refusal); a node that is down (the `node-down` fault) answers
  no SYN on any of its addresses, its pods' included;
- Local services answer on ``healthCheckNodePort`` like kube-proxy (200 / 503);
- load-balancer addresses spread over healthy nodes' NodePorts, or straight to pods for
  load balancers without NodePorts;
- the ingress controller's pods route HTTP by Host and path to backend endpoints on the ports
  its Service aims at (other ports are the pod's own), for the Ingresses of its classes only.
- a Gateway's proxy pods (the infrastructure `kpath.lab.gateway.infrastructure` generates) serve its
  listener ports as `kpath.lab.gateway.proxy` says: the lab controller's decision per request
  (HTTP, HTTPS, TLS by SNI, TCP), straight to backend pod IPs; the hop into them is the
  generated LoadBalancer Service's, with its externalTrafficPolicy, like any other.
- NetworkPolicy, as `kpath.lab.netpolicy` reads it, on the source address each connection
  really has: the client's own address (127.0.0.1 from the host) where it is kept (Local
  policy, hostPorts, load balancers straight to pods), the entry node's under Cluster
  policy, the controller's or gateway proxy's pod address on their second hop, a pod's own
  address when a client binds it. A denied connection's SYN goes unanswered, as a CNI
  drops it: while any policy exists, every pod, hostPort, NodePort and load-balancer
  address listens through a `SynGate` (two sockets and a BPF program choosing by source
  address). A NodePort or load balancer drops a source when every candidate it could pick
  denies it; when only some do, it picks as usual and a denied pick is held unanswered
  (one SYN among many cannot be dropped once the handshake is done).

This is a deliberately separate implementation of the forwarding rules: it must not import
kpath's routing package, so that a probe through the lab can catch a wrong prediction.
State is read from the store on every connection, so changes and faults apply at once;
`DataPlane.sync` opens and closes listeners to match the store, and switches a NodePort
between forwarding and black hole (the runner syncs after every change and fault).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import json
import socket
import ssl
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kpath.errors import SourceError
from kpath.lab.addresses import AddressPlan
from kpath.lab.certs import fake_certificate
from kpath.lab.faults import FaultSet
from kpath.lab.gateway.infrastructure import service_protocol
from kpath.lab.gateway.proxy import GatewayProxy, GatewayRuntime, ProxyPod
from kpath.lab.gateway.proxy import pump as _pump
from kpath.lab.gateway.proxy import respond as _respond
from kpath.lab.netpolicy import PolicySet
from kpath.lab.podports import PortHint, command_http_ports, pod_port_protocol
from kpath.lab.scheduler import ObjectStore
from kpath.lab.syngate import MAX_RANGES, Range, SynGate, decision_ranges, ip_int

Obj = dict[str, Any]
Key = tuple[str, str]
#: (controller Service key or None, the Ingresses that controller serves)
IngressView = Callable[[], tuple[Key | None, list[Obj]]]
#: the Gateway proxies' runtime (`GatewayRuntime`), None when the lab runs no Gateways
GatewayView = Callable[[], GatewayRuntime | None]

_MAX_HEAD = 64 * 1024


# ------------------------------------------------------------------------- pure rules
@dataclass(frozen=True)
class LabEndpoint:
    """One endpoint address for one service port, as the data plane reads it from a slice."""

    ip: str
    port: int
    node: str | None
    ready: bool
    serving: bool
    terminating: bool
    hint_zones: tuple[str, ...] = ()
    hint_nodes: tuple[str, ...] = ()


def slice_endpoints(slices: Iterable[Mapping[str, Any]], port_name: str) -> list[LabEndpoint]:
    """Endpoints that carry the named service port (slices whose ports lack it are skipped)."""
    out: list[LabEndpoint] = []
    seen: set[tuple[str, int]] = set()
    for sl in slices:
        number = next(
            (p.get("port") for p in sl.get("ports") or [] if (p.get("name") or "") == port_name),
            None,
        )
        if not isinstance(number, int):
            continue
        for ep in sl.get("endpoints") or []:
            cond = ep.get("conditions") or {}
            ready = cond.get("ready") is not False  # nil means ready (API contract)
            serving = cond.get("serving", ready) is not False
            hints = ep.get("hints") or {}
            for ip in ep.get("addresses") or []:
                if (ip, number) in seen:
                    continue
                seen.add((ip, number))
                out.append(
                    LabEndpoint(
                        ip,
                        number,
                        ep.get("nodeName"),
                        ready,
                        serving,
                        bool(cond.get("terminating")),
                        tuple(z.get("name", "") for z in hints.get("forZones") or []),
                        tuple(n.get("name", "") for n in hints.get("forNodes") or []),
                    )
                )
    return out


def _usable(endpoints: Sequence[LabEndpoint]) -> list[LabEndpoint]:
    ready = [e for e in endpoints if e.ready]
    return ready or [e for e in endpoints if e.serving and e.terminating]


def choose_endpoints(
    endpoints: Sequence[LabEndpoint], *, local: bool, node: str, zone: str | None
) -> tuple[str, list[LabEndpoint]]:
    """('forward', candidates) | ('drop', []) | ('reject', []) for traffic arriving at ``node``."""
    if not _usable(endpoints):
        return "reject", []
    if local:
        mine = _usable([e for e in endpoints if e.node == node])
        return ("forward", mine) if mine else ("drop", [])
    candidates = _usable(endpoints)
    ready = [e for e in endpoints if e.ready]
    if ready and all(e.hint_zones or e.hint_nodes for e in ready):
        by_node = [e for e in ready if node in e.hint_nodes]
        by_zone = [e for e in ready if zone and zone in e.hint_zones]
        candidates = by_node or by_zone or candidates
    return "forward", candidates


def _path_matches(kind: str, rule_path: str, path: str) -> int:
    """Match length (higher wins) or -1. Prefix matching is by path element, as the API says."""
    if kind == "Exact":
        return len(rule_path) * 2 + 1 if path == rule_path else -1
    if kind == "ImplementationSpecific" and rule_path.endswith("*"):
        rule_path = rule_path.rstrip("*") or "/"
    prefix = rule_path.rstrip("/")
    if prefix == "" or path == prefix or path.startswith(prefix + "/"):
        return len(prefix) * 2
    return -1


def _host_matches(rule_host: str, host: str) -> bool:
    if rule_host.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == rule_host[2:]
    return rule_host == host


def route_ingress(ingresses: Sequence[Mapping[str, Any]], host: str, path: str) -> Obj | None:
    """The backend (``{"ns", "service", "port"}``) an HTTP request goes to, or None.

    Host rules beat host-less rules (a host-specific server block, as nginx builds it); inside
    the winning rules the longest path wins and Exact beats Prefix; then defaultBackend.
    """
    host = host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()
    for want_host in (True, False):
        best: tuple[int, Obj] | None = None
        for ing in ingresses:
            ns = ing["metadata"].get("namespace", "default")
            for rule in (ing.get("spec") or {}).get("rules") or []:
                rule_host = rule.get("host")
                if want_host != bool(rule_host):
                    continue
                if rule_host and not _host_matches(str(rule_host).lower(), host):
                    continue
                for p in (rule.get("http") or {}).get("paths") or []:
                    score = _path_matches(
                        p.get("pathType", "ImplementationSpecific"), p.get("path") or "/", path
                    )
                    if score >= 0 and (best is None or score > best[0]):
                        best = (score, _backend(ns, p.get("backend") or {}))
        if best is not None:
            return best[1]
    for ing in ingresses:
        default = (ing.get("spec") or {}).get("defaultBackend")
        if default:
            return _backend(ing["metadata"].get("namespace", "default"), default)
    return None


def _backend(ns: str, backend: Mapping[str, Any]) -> Obj:
    svc = backend.get("service") or {}
    port = svc.get("port") or {}
    return {"ns": ns, "service": svc.get("name"), "port": port.get("number", port.get("name"))}


# ------------------------------------------------------------------------- listener roles
@dataclass(frozen=True)
class PodRole:
    namespace: str
    name: str
    node: str
    ip: str
    port: int
    protocol: str = "http"  # "http", "https" (TLS with HTTP inside) or "tcp" (an echo)
    ingress: bool = False  # the ingress controller's traffic port: routes by Host and path
    #: a Gateway proxy pod's listener port: the Gateway it serves, and which listener port
    #: (protocol is then http, https, tls or tcp, as `kpath.lab.gateway.proxy` serves it)
    gateway: Key | None = None
    listener_port: int = 0


@dataclass(frozen=True)
class HostPortRole:
    """A container's ``hostPort`` on its node's address: DNAT to the pod, client kept."""

    namespace: str
    name: str
    node: str
    pod_ip: str
    port: int


@dataclass(frozen=True)
class NodePortRole:
    service: Key
    port_name: str
    node: str
    node_ip: str


@dataclass(frozen=True)
class HealthRole:
    service: Key
    node: str


@dataclass(frozen=True)
class LoadBalancerRole:
    service: Key
    port_name: str


Role = PodRole | HostPortRole | NodePortRole | HealthRole | LoadBalancerRole


class SilentPort:
    """A listening socket whose accept queue is full and never drained.

    Linux drops a SYN to a full accept queue, so a client's connect gets no SYN-ACK and times
    out: the only way to show a dropped packet on loopback (accepting and then holding would
    complete the handshake, which a TCP connect probe sees as an answer). Backlog 0 queues
    one connection; our own ``filler`` takes that place.
    """

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.sock.listen(0)
            # Loopback with room in the queue: the handshake completes at once.
            self.filler = socket.create_connection((host, port), timeout=1)
        except OSError:
            self.sock.close()
            raise

    def close(self) -> None:
        self.filler.close()
        self.sock.close()


@dataclass
class _Listener:
    role: Role
    server: asyncio.Server | None = None
    silent: SilentPort | None = None
    gate: SynGate | None = None  # the server's socket drops some sources' SYNs

    @property
    def mode(self) -> str:
        return "silent" if self.silent is not None else "gated" if self.gate else "plain"

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        if self.silent is not None:
            self.silent.close()
        if self.gate is not None:
            self.gate.close_extra()


@dataclass
class _Request:
    method: str
    path: str
    host: str
    head: bytes
    body: bytes = b""


@dataclass
class DataPlane:
    """Listeners for one lab; `sync` after every change to the store."""

    store: ObjectStore
    plan: AddressPlan
    faults: FaultSet
    ingress_view: IngressView | None = None
    gateway_view: GatewayView | None = None
    connect_timeout: float = 3.0
    warnings: list[str] = field(default_factory=list)
    _listeners: dict[tuple[str, int], _Listener] = field(default_factory=dict)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _turn: dict[Any, int] = field(default_factory=dict)
    _failed: set[tuple[str, int]] = field(default_factory=set)
    _shadowed: set[tuple[str, int]] = field(default_factory=set)
    _affinity: dict[tuple[Any, tuple[str, str]], tuple[str, int]] = field(default_factory=dict)
    _pod_tls: ssl.SSLContext | None = None
    _pod_tls_failed: bool = False
    _gateways: GatewayProxy | None = None
    #: the NetworkPolicies in force (rebuilt by `sync`); empty: no listener is gated
    policies: PolicySet = field(default_factory=lambda: PolicySet([], {}))
    _pods: dict[tuple[str, str], Obj] = field(default_factory=dict)
    _points: list[int] = field(default_factory=list)
    _fingerprint: str = ""  # of what a pod's verdicts depend on: unchanged, gates stay
    _stale: bool = True
    _ungated: set[tuple[str, int]] = field(default_factory=set)
    _sync_lock: asyncio.Lock | None = None
    _memo: dict[Any, Any] = field(default_factory=dict)  # per sync: forwarding choices
    _watch: asyncio.Task[None] | None = None
    syncs: int = 0  # completed syncs (a caller can wait for the next one)

    def __post_init__(self) -> None:
        self._gateways = GatewayProxy(
            self._gateway_runtime, connect_timeout=self.connect_timeout, warn=self.warnings.append
        )

    def _gateway_runtime(self) -> GatewayRuntime | None:
        return self.gateway_view() if self.gateway_view else None

    # ------------------------------------------------------------------ reconcile
    def desired(self) -> dict[tuple[str, int], Role]:
        """Every (address, port) that should be listening now, and what it does.

        kube-proxy's rules on a node (NodePorts, health checks) come first: they catch the
        traffic before a hostPort or a hostNetwork pod's socket could (a clash is warned).
        """
        want: dict[tuple[str, int], Role] = dict(self._service_roles())
        for key, role in self._pod_roles().items():
            current = want.get(key)
            if current is None:
                want[key] = role
            elif not isinstance(current, PodRole | HostPortRole) and key not in self._shadowed:
                self._shadowed.add(key)
                who = f"{role.namespace}/{role.name}"
                self.warnings.append(
                    f"{key[0]}:{key[1]} of pod {who} is shadowed by a "
                    "Service's NodePort or health check on that node"
                )
        return want

    def _service_roles(self) -> dict[tuple[str, int], Role]:
        want: dict[tuple[str, int], Role] = {}
        nodes = {n["metadata"]["name"]: _node_ip(n) for n in self.store.list("Node")}
        for svc in self.store.list("Service"):
            key = (svc["metadata"]["namespace"], svc["metadata"]["name"])
            spec = svc.get("spec") or {}
            for port in spec.get("ports") or []:
                if port.get("protocol", "TCP") != "TCP":
                    continue
                name = port.get("name") or ""
                if isinstance(port.get("nodePort"), int):
                    for node, node_ip in nodes.items():
                        if node_ip:
                            want.setdefault(
                                (node_ip, port["nodePort"]), NodePortRole(key, name, node, node_ip)
                            )
                for ingress in (svc.get("status") or {}).get("loadBalancer", {}).get(
                    "ingress"
                ) or []:
                    lb_ip = ingress.get("ip")
                    if lb_ip and self.plan.contains(lb_ip):
                        want.setdefault((lb_ip, port["port"]), LoadBalancerRole(key, name))
            hc = spec.get("healthCheckNodePort")
            if isinstance(hc, int):
                for node, node_ip in nodes.items():
                    if node_ip:
                        want.setdefault((node_ip, hc), HealthRole(key, node))
        return want

    def _targets(
        self,
    ) -> tuple[dict[tuple[str, int], list[PortHint]], set[tuple[str, int]], set[tuple[str, int]]]:
        """Per pod (ip, port): what the Services aiming there say; the ports of dead
        services (a target-port-dead fault); the ingress controller's traffic ports."""
        services = {
            (s["metadata"]["namespace"], s["metadata"]["name"]): s
            for s in self.store.list("Service")
        }
        controller = self.ingress_view()[0] if self.ingress_view else None
        dead = self.faults.dead_services()
        hints: dict[tuple[str, int], list[PortHint]] = {}
        dead_ports: set[tuple[str, int]] = set()
        ingress_ports: set[tuple[str, int]] = set()
        for sl in self.store.list("EndpointSlice"):
            ns = sl["metadata"]["namespace"]
            svc_name = sl["metadata"].get("labels", {}).get("kubernetes.io/service-name")
            svc_ports = {
                (p.get("name") or ""): p
                for p in ((services.get((ns, str(svc_name))) or {}).get("spec") or {}).get("ports")
                or []
            }
            ports = [
                p
                for p in sl.get("ports") or []
                if isinstance(p.get("port"), int) and p.get("protocol", "TCP") == "TCP"
            ]
            for ep in sl.get("endpoints") or []:
                for ip in ep.get("addresses") or []:
                    for p in ports:
                        name = p.get("name") or ""
                        number = svc_ports.get(name, {}).get("port")
                        hints.setdefault((ip, p["port"]), []).append(
                            PortHint(
                                name,
                                str(p.get("appProtocol") or ""),
                                number if isinstance(number, int) else None,
                            )
                        )
                        if f"{ns}/{svc_name}" in dead:
                            dead_ports.add((ip, p["port"]))
                        if controller == (ns, svc_name):
                            ingress_ports.add((ip, p["port"]))
        return hints, dead_ports, ingress_ports

    def _pod_roles(self) -> dict[tuple[str, int], PodRole | HostPortRole]:
        want: dict[tuple[str, int], PodRole | HostPortRole] = {}
        hints, dead_ports, ingress_ports = self._targets()
        nodes = {n["metadata"]["name"]: _node_ip(n) for n in self.store.list("Node")}
        runtime = self._gateway_runtime()
        proxies = runtime.proxies if runtime else {}
        for pod in self.store.list("Pod"):
            meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
            ip = status.get("podIP")
            node = spec.get("nodeName")
            if status.get("phase") != "Running" or not ip or not node:
                continue
            ns, name = meta["namespace"], meta["name"]
            declared: dict[int, str | None] = {}
            host_ports: dict[int, int] = {}
            command_http: set[int] = set()
            for container in spec.get("containers") or []:
                command_http |= command_http_ports(container)
                for port in container.get("ports") or []:
                    number = port.get("containerPort")
                    if (port.get("protocol") or "TCP") != "TCP" or not isinstance(number, int):
                        continue
                    declared.setdefault(number, port.get("name"))
                    if isinstance(port.get("hostPort"), int) and not spec.get("hostNetwork"):
                        host_ports.setdefault(port["hostPort"], number)
            if not declared:
                declared = dict.fromkeys(sorted(p for (a, p) in hints if a == ip))
            node_ip = nodes.get(node)
            for host_port, number in host_ports.items():
                if node_ip:
                    want.setdefault((node_ip, host_port), HostPortRole(ns, name, node, ip, number))
            if self.faults.pod_mode(f"{ns}/{name}") == "refuse":
                continue
            infra = proxies.get((ns, name))
            listener_of = {c: lp for lp, c in infra.ports.items()} if infra else {}
            for number, port_name in declared.items():
                if (ip, number) in dead_ports:
                    continue
                if infra is not None and number in listener_of:
                    served = service_protocol(infra.protocols[listener_of[number]])
                    if served != "udp":  # the lab's data plane is TCP only
                        want.setdefault(
                            (ip, number),
                            PodRole(
                                ns,
                                name,
                                node,
                                ip,
                                number,
                                served,
                                gateway=infra.gateway,
                                listener_port=listener_of[number],
                            ),
                        )
                    continue
                protocol = pod_port_protocol(
                    port_name,
                    number,
                    hints.get((ip, number), ()),
                    command_http=number in command_http,
                )
                want.setdefault(
                    (ip, number),
                    PodRole(ns, name, node, ip, number, protocol, (ip, number) in ingress_ports),
                )
        return want

    async def sync(self) -> None:
        """Open, retarget and close listeners to match the store and the faults."""
        if self._sync_lock is None:
            self._sync_lock = asyncio.Lock()
        async with self._sync_lock:  # a store change and a fault may both ask at once
            await self._sync()
        if self._watch is None and hasattr(self.store, "subscribe"):
            self._watch = asyncio.ensure_future(self._follow_policies())

    async def _follow_policies(self) -> None:
        """Sync when a NetworkPolicy or a Namespace changes in the store behind the
        runner's back (pods change only through the scheduler, which the runner syncs)."""
        store: Any = self.store
        sub = store.subscribe(frozenset({"NetworkPolicy", "Namespace"}))
        sub.wake = asyncio.Event()
        try:
            while True:
                await sub.wake.wait()
                sub.wake.clear()
                sub.queue.clear()
                await self.sync()
        finally:
            store.unsubscribe(sub)

    async def _sync(self) -> None:
        self._memo.clear()
        self._read_policies()
        want = self.desired()
        for key in [k for k in self._listeners if k not in want]:
            self._listeners.pop(key).close()
        for key, role in want.items():
            mode = (
                "silent"
                if self._black_hole(role)
                else (
                    "gated"
                    if self.policies and _gateable(role) and key not in self._ungated
                    else "plain"
                )
            )
            current = self._listeners.get(key)
            if current is not None:
                if current.mode == mode:
                    same = current.role == role
                    current.role = role
                    # A pod's verdicts change only with the policy inputs; the forwarding
                    # roles' also with endpoints and node health: those are asked again.
                    if current.gate is not None and (
                        self._stale or not same or not isinstance(role, PodRole | HostPortRole)
                    ):
                        self._set_gate(current.gate, role)
                    continue
                # Forwarding <-> black hole <-> gated: a fresh socket on the same address
                # and port (connections already accepted live on; new SYNs see the change).
                self._listeners.pop(key).close()
            try:
                listener = await self._open(key, role, mode)
            except OSError as exc:
                if key not in self._failed:
                    self._failed.add(key)
                    self.warnings.append(f"cannot listen on {key[0]}:{key[1]}: {exc.strerror}")
                continue
            self._listeners[key] = listener
        self.syncs += 1

    async def _open(self, key: tuple[str, int], role: Role, mode: str) -> _Listener:
        if mode == "silent":
            return _Listener(role, silent=SilentPort(*key))
        gate = None
        if mode == "gated":
            try:
                gate = SynGate(key[0], key[1], self.plan.gate_ip)
                self._set_gate(gate, role)
            except (OSError, ValueError) as exc:
                if gate is not None:
                    gate.close()
                gate = None
                self._ungated.add(key)
                self.warnings.append(
                    f"NetworkPolicy is not enforced on {key[0]}:{key[1]}: "
                    f"{getattr(exc, 'strerror', None) or exc}"
                )

        def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> Any:
            return self._on_connection(key, r, w)

        if gate is not None:
            try:
                server = await asyncio.start_server(handle, sock=gate.sock)
            except OSError:
                gate.close()
                raise
            return _Listener(role, server=server, gate=gate)
        return _Listener(
            role,
            server=await asyncio.start_server(handle, host=key[0], port=key[1], reuse_address=True),
        )

    # ------------------------------------------------------------------ NetworkPolicy
    def _read_policies(self) -> None:
        """The policies, namespaces and pods as they are now, and the addresses where a
        verdict can change (every CIDR's edges, every pod and node address)."""
        pods = self.store.list("Pod")
        # Only the Kubernetes API's kind of that name (Calico's is not this evaluator's).
        raw = [
            p
            for p in self.store.list("NetworkPolicy")
            if str(p.get("apiVersion") or "networking.k8s.io/v1").startswith("networking.k8s.io/")
        ]
        namespaces = self.store.list("Namespace")
        fingerprint = (
            json.dumps(
                [
                    raw,
                    [(n["metadata"]["name"], n["metadata"].get("labels")) for n in namespaces],
                    [
                        (
                            p["metadata"],
                            (p.get("spec") or {}).get("hostNetwork"),
                            [c.get("ports") for c in (p.get("spec") or {}).get("containers") or []],
                            (p.get("status") or {}).get("podIP"),
                            (p.get("status") or {}).get("hostIP"),
                        )
                        for p in pods
                    ],
                ],
                sort_keys=True,
                default=str,
            )
            if raw
            else ""
        )
        self._stale = fingerprint != self._fingerprint
        self._fingerprint = fingerprint
        self.policies = PolicySet.build(raw, namespaces, pods)
        self._pods = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in pods}
        if not self.policies:
            self._points = []
            return
        points: set[int] = set()
        for net in self.policies.networks():
            if net.version == 4:
                points |= {int(net.network_address), int(net.broadcast_address) + 1}
        ips = [(p.get("status") or {}).get("podIP") for p in pods]
        ips += [_node_ip(n) for n in self.store.list("Node")]
        for ip in ips:
            if ip:
                with contextlib.suppress(ValueError):
                    points |= {ip_int(ip), ip_int(ip) + 1}
        self._points = sorted(points)

    def _set_gate(self, gate: SynGate, role: Role) -> None:
        if isinstance(role, NodePortRole) and self._node_port_source(role, "") == role.node_ip:
            # Cluster policy: every client arrives SNATed, so one verdict holds for all.
            drops = [] if self._admits(role, role.node_ip) else [(0, 0xFFFFFFFF)]
        else:
            drops = decision_ranges(self._points, lambda src: self._admits(role, _ip_str(src)))
        if len(drops) > MAX_RANGES:
            raise ValueError("too many address ranges for one listener")
        gate.set_drops(drops)

    def _lets(self, source: str, ip: str, port: int) -> bool:
        """Whether a connection from ``source`` to ``ip:port`` passes the policies (an
        address that is no pod's, or a hostNetwork pod's, is never isolated)."""
        key = ("lets", source, ip, port)
        if key not in self._memo:
            dst = self.policies.pod_at(ip)
            self._memo[key] = dst is None or self.policies.allowed(
                source, self.policies.pod_at(source), dst, port
            )
        return bool(self._memo[key])

    def _admits(self, role: Role, src: str) -> bool:
        """Whether this listener lets a SYN from ``src`` in: the policies at the pod the
        connection ends in, with the source address the lab's forwarding gives it."""
        if isinstance(role, PodRole | HostPortRole):
            pod = self._pods.get((role.namespace, role.name))
            if pod is None:
                return True
            return self.policies.allowed(src, self.policies.pod_at(src), pod, role.port)
        if isinstance(role, NodePortRole):
            verdict, candidates = self._memoized(("choice", role), self._node_port_choice, role)
            if verdict != "forward":
                return True  # a refusal stays a refusal; a drop is the silent port's
            source = self._node_port_source(role, src)
            return any(self._lets(source, c.ip, c.port) for c in candidates)
        if isinstance(role, LoadBalancerRole):
            targets = self._memoized(("targets", role), self._lb_targets, role)
            return not targets or any(self._target_admits(t, src) for t in targets)
        return True

    def _memoized(self, key: Any, fn: Callable[[Any], Any], arg: Any) -> Any:
        """One answer per sync: a gate asks the same forwarding question per address."""
        if key not in self._memo:
            self._memo[key] = fn(arg)
        return self._memo[key]

    def _target_admits(self, target: tuple[str, int], src: str) -> bool:
        """A load balancer's target as the client's SYN finds it: a NodePort (with its
        own forwarding) or a pod."""
        listener = self._listeners.get(target)
        if listener is not None and isinstance(listener.role, NodePortRole):
            return self._admits(listener.role, src)
        return self._lets(src, *target)

    def _node_port_source(self, role: NodePortRole, client_ip: str) -> str:
        svc = self._memoized(("service", role.service), self._service, role.service)
        local = ((svc or {}).get("spec") or {}).get("externalTrafficPolicy") == "Local"
        # Cluster: SNAT to the node's address. Local: the client address survives.
        return client_ip if local else role.node_ip

    def gated(self) -> dict[tuple[str, int], list[Range]]:
        """The listeners that drop some sources' SYNs, with the dropped address ranges."""
        return {
            k: list(v.gate.drops)
            for k, v in self._listeners.items()
            if v.gate is not None and v.gate.drops
        }

    def _black_hole(self, role: Role) -> bool:
        """Where SYNs go unanswered: every address of a down node (a machine that is off
        completes no handshake), and a NodePort that kube-proxy drops on this node: Local
        policy, no usable endpoint here, usable ones elsewhere."""
        node = getattr(role, "node", None)
        if node is not None and self.faults.node_down(node):
            return True
        if not isinstance(role, NodePortRole):
            return False
        return self._node_port_choice(role)[0] == "drop"

    def _node_port_choice(self, role: NodePortRole) -> tuple[str, list[LabEndpoint]]:
        svc = self._service(role.service)
        if svc is None:
            return "reject", []
        local = (svc.get("spec") or {}).get("externalTrafficPolicy") == "Local"
        node = self._node(role.node)
        zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(
            "topology.kubernetes.io/zone"
        )
        return choose_endpoints(
            self._endpoints(role.service, role.port_name), local=local, node=role.node, zone=zone
        )

    def listening(self) -> dict[tuple[str, int], Role]:
        return {k: v.role for k, v in self._listeners.items()}

    def black_holes(self) -> set[tuple[str, int]]:
        """The (address, port)s listening with a full accept queue (SYNs dropped)."""
        return {k for k, v in self._listeners.items() if v.silent is not None}

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        for listener in self._listeners.values():
            listener.close()
        for task in list(self._tasks):
            task.cancel()
        for listener in self._listeners.values():
            if listener.server is not None:
                with contextlib.suppress(Exception):
                    await listener.server.wait_closed()
        self._listeners.clear()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------------ connections
    async def _on_connection(
        self, key: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            listener = self._listeners.get(key)
            if listener is None:
                _reset(writer)
                return
            role = listener.role
            if isinstance(role, PodRole):
                await self._serve_pod(role, reader, writer)
            elif isinstance(role, HostPortRole):
                await self._serve_host_port(role, reader, writer)
            elif isinstance(role, NodePortRole):
                await self._serve_node_port(role, reader, writer)
            elif isinstance(role, HealthRole):
                await self._serve_health(role, reader, writer)
            else:
                await self._serve_load_balancer(role, reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # a client hanging up mid-way is normal for a data plane
        except asyncio.CancelledError:
            # Only `close` cancels these; ending quietly keeps asyncio from logging each one.
            writer.transport.abort()
        finally:
            self._tasks.discard(task)
            if not writer.is_closing():
                writer.close()

    def _pick(
        self, key: Any, candidates: Sequence[LabEndpoint], client: tuple[str, str] | None
    ) -> LabEndpoint:
        """Round robin; with ``client`` ((node, client address), under sessionAffinity:
        ClientIP) the endpoint that client had on this node while it is still a candidate
        (kube-proxy keeps one affinity table per node)."""
        held = self._affinity.get((key, client)) if client else None
        for c in candidates:
            if (c.ip, c.port) == held:
                return c
        target = candidates[self._next(key, len(candidates))]
        if client:
            self._affinity[(key, client)] = (target.ip, target.port)
        return target

    def _next(self, key: Any, n: int) -> int:
        turn = self._turn.get(key, 0)
        self._turn[key] = turn + 1
        return turn % n

    def _service(self, key: Key) -> Obj | None:
        return self.store.get("Service", key[0], key[1])

    def _endpoints(self, key: Key, port_name: str) -> list[LabEndpoint]:
        slices = [
            s
            for s in self.store.list("EndpointSlice", key[0])
            if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == key[1]
        ]
        return slice_endpoints(slices, port_name)

    def _node(self, name: str) -> Obj | None:
        return self.store.get("Node", None, name)

    async def _serve_pod(
        self, role: PodRole, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        pod = f"{role.namespace}/{role.name}"
        if self.faults.node_down(role.node):
            await _hold(reader)
            return
        delay = self.faults.delay(pod=pod) + self.faults.delay(node=role.node)
        if delay:
            await asyncio.sleep(delay)
        mode = self.faults.pod_mode(pod)
        if mode == "hang":
            await _hold(reader)
            return
        if mode == "refuse":
            _reset(writer)
            return
        if role.gateway is not None and self._gateways is not None:
            await self._gateways.serve(
                ProxyPod(
                    role.namespace,
                    role.name,
                    role.node,
                    role.ip,
                    role.listener_port,
                    role.protocol,
                    role.gateway,
                ),
                reader,
                writer,
                error_status=self.faults.pod_status(pod),
            )
            return
        if role.protocol == "https":
            context = self._tls_context()
            if context is not None:
                # After the faults: a hung or stopped pod never gets as far as a handshake.
                await writer.start_tls(context)
        if role.ingress:
            await self._serve_ingress(role, reader, writer)
            return
        if role.protocol == "tcp":
            await _echo(reader, writer)
            return
        request = await _read_request(reader)
        if request is None:
            return
        peer = writer.get_extra_info("peername") or ("?", 0)
        body = {
            "pod": role.name,
            "namespace": role.namespace,
            "node": role.node,
            "podIP": role.ip,
            "port": role.port,
            "client": f"{peer[0]}:{peer[1]}",
            "path": request.path,
            "host": request.host,
        }
        headers = {
            "X-Pod-Name": role.name,
            "X-Pod-Namespace": role.namespace,
            "X-Node-Name": role.node,
        }
        status = self.faults.pod_status(pod)
        await _respond(writer, status, body, headers, head_only=request.method == "HEAD")

    def _tls_context(self) -> ssl.SSLContext | None:
        """The lab's one self-signed certificate, made on first use (None: openssl failed)."""
        if self._pod_tls is None and not self._pod_tls_failed:
            try:
                self._pod_tls = fake_certificate()
            except SourceError as exc:
                self._pod_tls_failed = True
                self.warnings.append(f"HTTPS pod ports answer plain HTTP: {exc}")
        return self._pod_tls

    async def _through_node(self, node: str, reader: asyncio.StreamReader) -> bool:
        """A connection arriving at a node: held when the node is down (until `sync` has
        silenced its ports), after the node's delay fault otherwise; False: do not serve it."""
        if self.faults.node_down(node):
            await _hold(reader)
            return False
        delay = self.faults.delay(node=node)
        if delay:
            await asyncio.sleep(delay)
        return True

    async def _serve_host_port(
        self, role: HostPortRole, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if not await self._through_node(role.node, reader):
            return
        client_ip = (writer.get_extra_info("peername") or ("127.0.0.1", 0))[0]
        # The CNI's portmap DNAT: the pod sees the client's own address; TLS passes through.
        await self._forward(reader, writer, role.pod_ip, role.port, client_ip)

    async def _serve_node_port(
        self, role: NodePortRole, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if not await self._through_node(role.node, reader):
            return
        svc = self._service(role.service)
        verdict, candidates = self._node_port_choice(role)
        if svc is None or verdict == "reject":
            _reset(writer)
            return
        if verdict == "drop":
            # Only between a change and the next `sync` (which makes this port silent).
            await _hold(reader)
            return
        client_ip = (writer.get_extra_info("peername") or ("127.0.0.1", 0))[0]
        sticky = (svc.get("spec") or {}).get("sessionAffinity") == "ClientIP"
        target = self._pick(
            (role.service, role.port_name), candidates, (role.node, client_ip) if sticky else None
        )
        source = self._node_port_source(role, client_ip)
        if self.policies and not self._lets(source, target.ip, target.port):
            await _hold(reader)  # the pod's node drops it: nothing ever answers
            return
        await self._forward(reader, writer, target.ip, target.port, source)

    async def _serve_health(
        self, role: HealthRole, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self.faults.node_down(role.node):
            await _hold(reader)
            return
        request = await _read_request(reader)
        if request is None:
            return
        count = self._local_endpoint_count(role.service, role.node)
        body = {
            "service": {"namespace": role.service[0], "name": role.service[1]},
            "localEndpoints": count,
            "serviceProxyHealthy": True,
        }
        await _respond(
            writer, 200 if count > 0 else 503, body, {}, head_only=request.method == "HEAD"
        )

    def _local_endpoint_count(self, key: Key, node: str) -> int:
        slices = [
            s
            for s in self.store.list("EndpointSlice", key[0])
            if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == key[1]
        ]
        ips = {
            ip
            for sl in slices
            for ep in sl.get("endpoints") or []
            if ep.get("nodeName") == node and (ep.get("conditions") or {}).get("ready") is not False
            for ip in ep.get("addresses") or []
        }
        return len(ips)

    def _node_healthy(self, name: str) -> bool:
        node = self._node(name)
        if node is None or self.faults.node_down(name):
            return False
        conditions = (node.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    async def _serve_load_balancer(
        self, role: LoadBalancerRole, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        client_ip = (writer.get_extra_info("peername") or ("127.0.0.1", 0))[0]
        targets = self._lb_targets(role)
        if not targets:
            _reset(writer)
            return
        ip, number = targets[self._next(role, len(targets))]
        if self.policies and not self._target_admits((ip, number), client_ip):
            await _hold(reader)  # dropped past the load balancer: nothing ever answers
            return
        await self._forward(reader, writer, ip, number, client_ip)

    def _lb_targets(self, role: LoadBalancerRole) -> list[tuple[str, int]]:
        """Where the load balancer sends: healthy nodes' NodePorts, or the pods."""
        svc = self._service(role.service)
        spec = (svc or {}).get("spec") or {}
        port = next(
            (p for p in spec.get("ports") or [] if (p.get("name") or "") == role.port_name), None
        )
        if svc is None or port is None:
            return []
        targets: list[tuple[str | None, int]] = []
        if isinstance(port.get("nodePort"), int):
            local = spec.get("externalTrafficPolicy") == "Local"
            for node in self.store.list("Node"):
                name = node["metadata"]["name"]
                if not self._node_healthy(name):
                    continue
                if local and self._local_endpoint_count(role.service, name) == 0:
                    continue  # the health check on healthCheckNodePort fails there
                targets.append((_node_ip(node), port["nodePort"]))
        else:
            # No NodePorts: an IP-target load balancer sends straight to the pods.
            targets = [
                (e.ip, e.port) for e in _usable(self._endpoints(role.service, role.port_name))
            ]
        return [(str(ip), int(number)) for ip, number in targets if ip]

    async def _serve_ingress(
        self, role: PodRole, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        request = await _read_request(reader)
        if request is None:
            return
        served = self.ingress_view()[1] if self.ingress_view else []
        backend = route_ingress(served, request.host, request.path.split("?", 1)[0])
        if backend is None or not backend.get("service"):
            await _respond(writer, 404, {"error": "no ingress rule matched"}, {})
            return
        key = (backend["ns"], str(backend["service"]))
        svc = self._service(key)
        ports = ((svc or {}).get("spec") or {}).get("ports") or []
        port = next((p for p in ports if backend["port"] in (p.get("port"), p.get("name"))), None)
        endpoints = _usable(self._endpoints(key, (port or {}).get("name") or "")) if port else []
        if not endpoints:
            await _respond(writer, 503, {"error": f"no endpoints for {key[0]}/{key[1]}"}, {})
            return
        target = endpoints[self._next(("ingress", key), len(endpoints))]
        await self._forward(
            reader,
            writer,
            target.ip,
            target.port,
            role.ip,
            first=request.head + request.body,
            bad_gateway=True,
        )

    async def _forward(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        ip: str,
        port: int,
        source: str,
        *,
        first: bytes = b"",
        bad_gateway: bool = False,
    ) -> None:
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(ip, port, local_addr=(source, 0)), self.connect_timeout
            )
        except TimeoutError:
            if bad_gateway:
                # nginx after proxy_connect_timeout: a dropped SYN (a policy, a node down).
                await _respond(writer, 504, {"error": f"timed out connecting to {ip}:{port}"}, {})
            else:
                _reset(writer)
            return
        except OSError:
            if bad_gateway:
                await _respond(writer, 502, {"error": f"cannot reach {ip}:{port}"}, {})
            else:
                _reset(writer)  # the endpoint refused: so does the whole path
            return
        try:
            if first:
                up_writer.write(first)
            upstream = asyncio.ensure_future(_pump(reader, up_writer))
            try:
                if bad_gateway and not await _first_reply(up_reader, writer):
                    # An L7 proxy answers for a backend that hangs up without a reply (nginx:
                    # "upstream prematurely closed connection"), e.g. plain HTTP to a TLS port.
                    await _respond(
                        writer, 502, {"error": f"{ip}:{port} closed without an answer"}, {}
                    )
                    return
                await _pump(up_reader, writer)
            finally:
                upstream.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await upstream
        finally:
            up_writer.close()


# ------------------------------------------------------------------------- socket helpers
def _gateable(role: Role) -> bool:
    """Listeners whose connections end in a pod (a health check never does)."""
    return not isinstance(role, HealthRole)


@functools.lru_cache(maxsize=1 << 16)
def _ip_str(value: int) -> str:
    return str(ipaddress.IPv4Address(value))


def _node_ip(node: Mapping[str, Any]) -> str | None:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address"))
    return None


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST, as a refused or rejected connection looks to the client."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _hold(reader: asyncio.StreamReader) -> None:
    """Accept silently and answer nothing until the client gives up (a black hole)."""
    while await reader.read(65536):
        pass


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


async def _first_reply(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> bool:
    """Pass on the upstream's first bytes; False if it closed (or reset) before any."""
    try:
        data = await src.read(65536)
    except OSError:
        return False
    if not data:
        return False
    dst.write(data)
    await dst.drain()
    return True


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """Request line and headers (and a Content-Length body); None if the client left."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    if len(head) > _MAX_HEAD:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    body = b""
    length = headers.get("content-length", "0")
    if length.isdigit() and 0 < int(length) <= 1 << 20:
        body = await reader.readexactly(int(length))
    return _Request(parts[0], parts[1], headers.get("host", ""), head, body)
